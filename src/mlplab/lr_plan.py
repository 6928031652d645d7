"""A run's learning-rate plan, and what ``mlplab train --resume RUN --epochs N`` does to it.

Only the cosine schedule depends on the epoch count: it decays from ``lr`` to ``lr_min`` over
``epochs``.  The step, exponential, cyclic, constant and warm-restart cosine (``cosine_restarts``,
whose cycles are counted in updates from ``step_epochs`` and ``t_mult``) schedules are functions of
the update count alone, so another epoch count leaves their rate exactly as planned: a restart
falls on the update it was planned for, whether the run was resumed or not.

When a resumed cosine run is given another epoch count, the rest of the decay is re-planned from the
update where training resumes, starting at the rate that update would have had: the rate goes on
from where it was, down to ``lr_min`` at the new last epoch, and never jumps back up.  Why this:

- rebuilding the cosine over the new total (what mlplab did before) puts the rate of a finished
  run back near its peak, a warm restart nobody asked for;
- keeping the original plan (what restoring a PyTorch ``CosineAnnealingLR`` state gives) runs every
  added epoch of an unfinished run at the floor, which with the default ``lr_min = 0`` learns nothing;
- re-planning from the current rate is continuous, keeps the rate of every update already made, and
  spends the added epochs on the rest of the decay.  A run that had reached its floor stays there:
  its added epochs train at ``lr_min``, and the line printed on resume says so.

The plan is saved in every checkpoint (``Trainer.save_checkpoint`` stores the schedule's ``plan``),
so a second resume continues it and the report can redraw the rate of every update
(:func:`saved_schedule`).
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

from mlplab import builders, optim
from mlplab.train.checkpoint import checkpoint_state

# The config keys a schedule is built from: a resumed run whose values differ follows the new ones.
SETTINGS = ("schedule", "lr", "lr_min", "step_epochs", "gamma", "t_mult")
# Settings added after plans were first saved, with the value an older plan was made with.
ADDED_SETTINGS = {"t_mult": 1}


def _planned(plan: dict[str, Any], key: str) -> Any:
    """A plan's value of setting ``key`` (an older plan's silent default for a setting added since)."""
    return plan.get(key, ADDED_SETTINGS.get(key))


def _base_schedule(config: dict[str, Any], steps_per_epoch: int) -> optim.Schedule:
    """The config's own schedule: :func:`mlplab.builders.build_schedule`, the one table of arguments."""
    return builders.build_schedule(config, steps_per_epoch)


class PlannedSchedule(optim.Schedule):
    """The config's schedule, then (cosine only) the decays re-planned on resume: ``segments`` are
    ``(first update, rate there, update where the decay reaches lr_min)``, in order.  ``plan`` is the
    JSON record a checkpoint keeps: the settings, the epoch count planned now (``epochs``) and the one
    the config's own schedule was built for (``base_epochs``), and the segments."""

    def __init__(self, config: dict[str, Any], steps_per_epoch: int, plan: dict[str, Any] | None = None) -> None:
        plan = plan or {}
        base_epochs = int(plan.get("base_epochs", config["epochs"]))
        self.base = _base_schedule({**config, "epochs": base_epochs}, steps_per_epoch)
        self.min_lr = config["lr_min"]
        self.segments = [(int(s), float(r), int(e)) for s, r, e in plan.get("segments", [])]
        self.plan: dict[str, Any] = {**{k: config[k] for k in SETTINGS}, "epochs": int(plan.get("epochs", base_epochs)),
                                     "base_epochs": base_epochs, "steps_per_epoch": steps_per_epoch,
                                     "segments": [list(segment) for segment in self.segments]}

    def __call__(self, t: int) -> float:
        for start, lr, end in reversed(self.segments):
            if t >= start:            # CosineLR's curve, begun at update `start` from the rate it had there
                progress = min(t - start, end - start) / (end - start)
                return self.min_lr + (lr - self.min_lr) * 0.5 * (1.0 + math.cos(math.pi * progress))
        return self.base(t)

    @property
    def end(self) -> int:
        """The update at which the cosine decay reaches ``lr_min``, as planned now."""
        return self.segments[-1][2] if self.segments else self.plan["base_epochs"] * self.plan["steps_per_epoch"]

    def replan(self, step: int, epochs: int) -> None:
        """Plan ``epochs`` epochs in all: a cosine's decay goes on from the rate update ``step`` would have
        had, down to ``lr_min`` where the added (or removed) epochs move its end."""
        if self.plan["schedule"] == "cosine":
            end = self.end + (epochs - self.plan["epochs"]) * self.plan["steps_per_epoch"]
            self.segments.append((step, float(self(step)), max(end, step + 1)))
            self.plan["segments"] = [list(segment) for segment in self.segments]
        self.plan["epochs"] = epochs


def build_schedule(config: dict[str, Any], steps_per_epoch: int,
                   plan: dict[str, Any] | None = None) -> PlannedSchedule:
    """The schedule ``config`` plans over ``steps_per_epoch`` updates an epoch; with a ``plan`` from a
    checkpoint whose settings are the config's, the schedule that plan describes."""
    same = plan is not None and plan.get("steps_per_epoch") == steps_per_epoch and all(
        _planned(plan, k) == config[k] for k in SETTINGS)
    return PlannedSchedule(config, steps_per_epoch, plan if same else None)


def resume_schedule(config: dict[str, Any], steps_per_epoch: int, state: dict[str, Any],
                    previous: dict[str, Any]) -> tuple[PlannedSchedule, str | None]:
    """The schedule a run resumed from a checkpoint's loop ``state`` continues with, and the line to
    print when the epoch count (or a setting of the schedule) changed; ``previous`` is the config the
    run was trained with until now (for a checkpoint written before plans were saved)."""
    plan = state.get("schedule_plan") or PlannedSchedule(previous, steps_per_epoch).plan
    step, done, epochs, kind = int(state["step"]), int(state["epoch"]), config["epochs"], config["schedule"]
    changed = [k for k in SETTINGS if _planned(plan, k) != config[k]]
    if plan.get("steps_per_epoch") != steps_per_epoch:
        changed.append("updates per epoch")
    if changed:               # another schedule altogether: it is followed as configured, from this update
        schedule = build_schedule(config, steps_per_epoch)
        old = PlannedSchedule({**previous, **{k: plan[k] for k in SETTINGS if k in plan}},
                              plan.get("steps_per_epoch") or steps_per_epoch, plan)
        return schedule, (f"resume at update {step}: the schedule's settings changed ({', '.join(changed)}), so the "
                          f"rate follows the new ones from here: {old(step):.4g} -> {schedule(step):.4g}")
    schedule = build_schedule(config, steps_per_epoch, plan)
    planned = schedule.plan["epochs"]
    if epochs == planned:
        return schedule, None
    head = f"resume at epoch {done} (update {step}) with epochs {planned} -> {epochs}"
    rate, floor = schedule(step), step >= schedule.end
    schedule.replan(step, epochs)
    if epochs <= done:
        return schedule, f"{head}: {done} epochs are done already, so none is trained"
    if kind != "cosine":
        return schedule, (f"{head}: the {kind} schedule does not depend on the epoch count and goes on as "
                          f"planned (rate {rate:.4g} now)")
    if floor or rate <= config["lr_min"]:
        idle = " (a rate of 0 changes no weight)" if rate == 0 else ""
        return schedule, (f"{head}: the cosine schedule had reached its floor lr_min {config['lr_min']:g}, and "
                          f"epochs {done + 1}-{epochs} train at that rate{idle}")
    return schedule, (f"{head}: the cosine schedule is re-planned from its current rate {rate:.4g} down to lr_min "
                      f"{config['lr_min']:g} at epoch {epochs}; it does not jump back up")


def saved_schedule(run_dir: str | os.PathLike, config: dict[str, Any],
                   steps_per_epoch: int) -> PlannedSchedule:
    """The schedule a run in ``run_dir`` followed, re-planned decays included (from its checkpoint's
    plan; the config's own schedule when there is no readable checkpoint)."""
    path = Path(run_dir) / "checkpoints" / "last.npz"
    try:
        plan = checkpoint_state(path).get("schedule_plan") if path.is_file() else None
    except ValueError:
        plan = None
    return build_schedule(config, steps_per_epoch, plan)
