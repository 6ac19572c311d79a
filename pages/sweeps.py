"""Sweeps: a grid over one or two settings with several seeds, run through the same queue as everyone's runs,
and a table that says whether one setting is really better; the seed report's tables reproduced in one click."""

from __future__ import annotations

import streamlit as st

from aecore.errors import AecoreError
from aecore.settings.parameters import PARAMETERS
from aecore.settings.presets import PRESETS
from aecore.settings.variants import VARIANTS
from aecore.sweeps import plans, statistics
from aecore.sweeps.seed_tables import SEED_TABLES, agreement, reproduction_plan, with_published
from pages import _ui as ui
from pages._ui import sweep_views as views

SWEEP_KEY = "sweep_id"
#: how often the page refreshes a sweep that is still running
REFRESH_SECONDS = 2.0
PLACEHOLDERS = {"float": "0.1, 0.2, 0.3  or  0.1:0.7:0.1  or  1e-4:1e-2:*10", "int": "16, 32, 64  or  2:10:2"}


def base_config():
    """The configuration the sweep varies: the Train page's settings, a preset, or a stored run's."""
    source = st.radio(
        "Start from",
        ["The Train page's settings", "A preset", "A stored run"],
        horizontal=True,
        key="sweep_base_source",
    )
    if source == "A preset":
        preset_id = st.selectbox(
            "Preset", list(PRESETS), format_func=lambda key: PRESETS[key].title, key="sweep_base_preset"
        )
        return PRESETS[preset_id].config
    if source == "A stored run":
        records = ui.run_store().list()
        if not records:
            st.caption("The store has no runs yet: train one first, or start from another base.")
            return None
        chosen = st.selectbox(
            "Run", records, format_func=lambda record: f"{record.name} · {record.id}", key="sweep_base_run"
        )
        return chosen.config
    return ui.guarded(lambda: ui.config_from_values(ui.control_values()), "The Train page's settings are not valid")


def parameter_inputs(variant: str, index: int, exclude: str | None) -> tuple[str, str] | None:
    choices = [name for name in plans.sweepable(variant) if name != exclude]
    options = ([None] if index == 2 else []) + choices
    numeric = [name for name in choices if PARAMETERS[name].kind in ("float", "int")]
    default = options.index("rho" if "rho" in numeric else numeric[0]) if index == 1 and numeric else 0
    name = st.selectbox(
        f"Setting {index}" + (" (optional)" if index == 2 else ""),
        options,
        index=default,
        format_func=lambda value: "none" if value is None else VARIANTS[variant].parameter(value).label,
        key=f"sweep_param_{index}",
    )
    if name is None:
        return None
    parameter = PARAMETERS[name]
    if parameter.kind == "choice":
        placeholder = ", ".join(parameter.choices)
    elif parameter.kind == "widths":
        placeholder = "widths per value, values separated by |, e.g. 128,64 | 256"
    else:
        placeholder = PLACEHOLDERS.get(parameter.kind, "values separated by commas")
    values = st.text_input(
        f"Values of {VARIANTS[variant].parameter(name).label}", key=f"sweep_values_{index}", placeholder=placeholder
    )
    return name, values


def new_sweep_form() -> None:
    base = base_config()
    if base is None:
        return
    variant = base.model.variant
    st.caption(
        f"Base: **{variant}** on `{base.dataset}`, {base.training.epochs} epochs, batch {base.training.batch_size}."
    )
    left, right = st.columns(2)
    with left:
        first = parameter_inputs(variant, 1, None)
    with right:
        second = parameter_inputs(variant, 2, first[0] if first else None)
    seeds = st.slider("Seeds per setting", 1, plans.MAX_SEEDS, 2, key="sweep_seeds")
    name = st.text_input("Name (optional)", key="sweep_name", placeholder="e.g. rho on mnist-5k")
    texts = [pair for pair in (first, second) if pair is not None and pair[1].strip()]
    if not texts:
        st.caption("Type the values to try: a list, or a range start:stop:step (add * for a log range).")
        return
    try:
        parameters = {pair[0]: plans.parse_values(pair[0], pair[1], variant) for pair in texts}
        plan = plans.SweepPlan(base, parameters, seeds=seeds, name=name.strip())
        count = len(plan.points())
    except AecoreError as error:
        st.error(str(error), icon=":material/error:")
        return
    settings = count // seeds
    st.markdown(f"**{settings} settings × {seeds} seeds = {count} runs**")
    confirmed = True
    if count > plans.CONFIRM_ABOVE_RUNS:
        confirmed = st.checkbox(
            f"Yes, train {count} runs (more than {plans.CONFIRM_ABOVE_RUNS}): they wait behind other people's runs."
        )
    if st.button("Start the sweep", type="primary", icon=":material/play_arrow:", disabled=not confirmed):
        start(plan)


def start(plan: plans.SweepPlan) -> None:
    manager = ui.job_manager()
    if ui.guarded(lambda: plans.start_sweep(manager.store, manager, plan), "The sweep could not start") is not None:
        st.session_state[SWEEP_KEY] = plan.sweep_id
        st.rerun()


def reproduce_section() -> None:
    st.markdown(
        "The seed report's Figs. 11–13 give the sparse autoencoder's reconstruction loss for seven values of ρ, β "
        "and α, one run each, the others fixed at ρ = 0.2, β = 2, α = 0.3. Each button runs that table on the "
        "embedded MNIST digits with several seeds, so the spread shows whether a difference is real."
    )
    seeds = st.number_input("Seeds per value", 1, plans.MAX_SEEDS, 2, key="reproduce_seeds")
    for column, table in zip(st.columns(len(SEED_TABLES)), SEED_TABLES.values(), strict=True):
        if column.button(f"{table.figure}: {table.title}", icon=":material/science:", width="stretch"):
            start(reproduction_plan(table.parameter, int(seeds)))


def results(plan: plans.SweepPlan) -> None:
    store = ui.run_store()
    rows = statistics.summarise(store, plan)
    if plan.reference:
        rows = with_published(rows, plan)
    if not any(row["seeds"] for row in rows):
        st.caption("Results appear here as the runs finish.")
        return
    st.markdown("**Results** · mean ± standard deviation over seeds")
    st.dataframe(views.results_frame(rows, plan), hide_index=True, width="stretch")
    st.latex(views.MEAN_SD_FORMULA)
    scale = "summed over an image's pixels and averaged over the test images, whatever the batch reduction"
    best_rule = "★ marks a setting only if its mean beats the next by more than both their standard deviations."
    st.caption(f"The reconstruction loss is the training loss's term on the test set, {scale}. {best_rule}")
    if plan.reference:
        st.info(agreement(rows, plan), icon=":material/science:")
        st.caption(
            "The report's losses are sums over a batch of images: ours, per image, are multiplied by the batch size "
            f"({plan.base.training.batch_size}) to stand beside them. These runs also train on that summed loss "
            "(batch reduction 'sum'), so α and β weigh as in the report. Its numbers come from one run per value."
        )
    st.download_button(
        "Results (CSV)",
        data=views.csv_frame(rows, plan),
        file_name=f"{plan.sweep_id}.csv",
        mime="text/csv",
        on_click="ignore",
        icon=":material/download:",
    )
    left, right = st.columns(2, gap="large")
    with left:
        views.plot_panel(rows, plan, plan.sweep_id)
    with right:
        views.curves_panel(plan, plan.sweep_id)
    views.importance_panel(plan, plan.sweep_id)
    views.runs_panel(plan, plan.sweep_id)


def sweep_view(plan: plans.SweepPlan) -> None:
    first = plans.progress(ui.run_store(), plan)

    @st.fragment(run_every=REFRESH_SECONDS if first.active else None)
    def live() -> None:
        ui.guarded(refresh, "The sweep cannot be shown")  # its own reruns are outside the page's error handling

    def refresh() -> None:
        progress = views.progress_panel(plan)
        stop_column, resume_column, _ = st.columns([1, 1, 3])
        if stop_column.button("Stop the sweep", icon=":material/stop:", disabled=not progress.active):
            plans.stop_sweep(ui.job_manager(), plan)
            st.rerun()
        left = progress.total - progress.finished
        if resume_column.button("Resume", icon=":material/play_arrow:", disabled=progress.active or not left):
            start(plan)
        results(plan)
        if first.active and not progress.active:
            st.rerun()

    live()


st.title("Sweeps")
st.caption(
    "Train a grid of runs over one or two settings, several seeds each, and see whether a setting is really "
    "better. A sweep's runs wait behind each other in the server's queue, not in front of other people's."
)
try:
    saved_plans = plans.list_plans(ui.run_store())
    with st.expander(
        "New sweep", icon=":material/add:", expanded=not saved_plans
    ):  # open until there is a sweep to show
        new_sweep_form()
    with st.expander("Reproduce the seed report's tables", icon=":material/science:"):
        reproduce_section()
    if not saved_plans:
        st.info("No sweeps yet: start one above.", icon=":material/info:")
    else:
        ids = [plan.sweep_id for plan in saved_plans]
        current = st.session_state.get(SWEEP_KEY)
        chosen = st.selectbox(
            "Sweep",
            saved_plans,
            index=ids.index(current) if current in ids else 0,
            format_func=lambda plan: (
                f"{plan.name or plan.sweep_id} · "
                + " × ".join(f"{len(values)} {name}" for name, values in plan.parameters.items())
                + f" × {plan.seeds} seeds"
            ),
        )
        st.session_state[SWEEP_KEY] = chosen.sweep_id
        sweep_view(chosen)
except AecoreError as error:
    st.error(str(error), icon=":material/error:")
