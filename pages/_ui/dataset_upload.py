"""Dataset → "Upload your own…": a file checked and previewed before it is stored, then picked for the next run;
and the removal of an uploaded dataset that no run needs. The checks are ``aecore.data`` 's, the storing the run
store's, the same as ``python -m aecore datasets add``."""

from __future__ import annotations

import streamlit as st

from aecore.data.library import USER_PREFIX, checked_name
from aecore.data.uploads import MAX_UPLOAD_BYTES, UserImages, name_of_file, read_user_file
from aecore.errors import AecoreError
from pages._ui.runtime import run_store

#: the images a preview shows
PREVIEW_COUNT = 8
#: the upload's preview, kept while the same file stays picked (reading it again at each rerun would be slow)
PREVIEW_KEY = "upload_preview"


def _preview(upload) -> bool:
    """Show the picked file's count, size, labels and first images, or why it is refused; True when it can be added.

    Read once per file: the session keeps only what is shown (the first images and a line), never the whole upload
    (up to 1 GB of images, per session)."""
    shown = st.session_state.get(PREVIEW_KEY)
    if shown is None or shown[0] != upload.file_id:
        try:
            images = read_user_file(upload.name, upload.getvalue())
        except AecoreError as error:
            shown = (upload.file_id, str(error), None)
        else:
            shown = (upload.file_id, _summary(images), images.images[:PREVIEW_COUNT].copy())
        st.session_state[PREVIEW_KEY] = shown
    _, text, first = shown
    if first is None:
        st.error(text, icon=":material/error:")
        return False
    st.caption(text)
    st.image(list(first), width=36, alt=[f"uploaded image {i + 1}" for i in range(len(first))])
    return True


def _summary(images: UserImages) -> str:
    count, height, width = images.images.shape
    names = images.class_names
    labels = f"{len(names)} labels: {', '.join(names[:10])}{' …' * (len(names) > 10)}" if names else "no labels"
    return f"{count:,} images of {height}×{width} · {labels}"


def upload_dataset(select_dataset) -> None:
    """The popover under the Dataset box; ``select_dataset(name)`` makes a stored dataset the picked one."""
    with st.popover("Upload your own…", icon=":material/upload:", width="stretch"):
        st.caption(
            "An `.npz` (images as `x`, labels as `y`), a `.npy`, an IDX file (`.gz`), or a `.zip` of PNG/JPEG "
            "images with one folder per class. At most "
            f"{MAX_UPLOAD_BYTES / 1e6:g} MB, 100,000 images, 1 GB as 8-bit grey images; every session of this "
            "server sees it."
        )
        upload = st.file_uploader("Your file", key="dataset_file", label_visibility="collapsed")
        if upload is None:
            return
        if not _preview(upload):
            return
        name = st.text_input("Its name", value=name_of_file(upload.name), max_chars=40, key="dataset_name")
        if st.button("Add this dataset", icon=":material/add:", type="primary", key="add_dataset"):
            try:
                stored, new = run_store().add_dataset(upload.name, upload.getvalue(), checked_name(name))
            except AecoreError as error:
                st.error(str(error), icon=":material/error:")
                return
            st.session_state.pop(PREVIEW_KEY, None)
            note = "" if new else " (this file was already here under that name)"
            st.session_state["dataset_note"] = f"Added **{stored.full_name}**{note}: picked for the next run."
            select_dataset(stored.full_name)
            st.rerun()


def remove_dataset(name: str) -> None:
    """A button that removes the picked uploaded dataset, refused (with the runs that need it) while a run does."""
    if not name.startswith(USER_PREFIX):
        return
    if st.button(f"Remove {name}", icon=":material/delete:", key="remove_dataset", type="tertiary"):
        try:
            run_store().remove_dataset(name)
        except AecoreError as error:
            st.error(str(error), icon=":material/error:")
            return
        st.session_state["dataset_note"] = f"Removed **{name}**."
        st.rerun()
