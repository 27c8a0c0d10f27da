"""What a run records: alerts, incidents and the audit trail (the daily timeline's reporters are declared in
``timeline``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class Alert:
    day: float
    signal: str
    message: str
    value: float | None = None
    threshold: float | None = None
    columns: tuple[str, ...] = ()  # data drift: the columns that drifted
    evidence_to: float | None = None  # the last day of cases its evidence covers (labels arrive late); None: today

    @property
    def keys(self) -> set[str]:
        """What is failing: the signal, and for data drift each drifted column (a new column re-alerts)."""
        return {f"{self.signal}:{c}" for c in self.columns} if self.columns else {self.signal}

    def to_dict(self) -> dict:
        d = asdict(self)
        d["day"] = round(self.day, 4)
        del d["columns"], d["evidence_to"]
        return d


@dataclass
class Incident:
    id: str
    kind: str
    title: str
    event_id: str | None
    start_day: float
    detected_day: float | None = None
    detected_by: str | None = None
    recovered_day: float | None = None
    response: str | None = None
    response_by: str | None = None
    harms: int = 0
    excess_harms: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def open(self) -> bool:
        return self.recovered_day is None

    def to_dict(self, horizon: float) -> dict:
        d = asdict(self)
        d["time_to_detect_days"] = _r(self.detected_day - self.start_day) if self.detected_day is not None else None
        d["time_to_recover_days"] = _r(self.recovered_day - self.detected_day) \
            if self.recovered_day is not None and self.detected_day is not None else None
        d["open_at_end"] = self.recovered_day is None
        d["duration_days"] = _r((self.recovered_day if self.recovered_day is not None else horizon)
                                - self.start_day)
        d["excess_harms"] = _r(self.excess_harms)
        for k in ("start_day", "detected_day", "recovered_day"):
            d[k] = _r(d[k]) if d[k] is not None else None
        return d


def _r(x: float) -> float:
    return round(float(x), 4)


@dataclass(frozen=True)
class AuditEntry:
    day: float
    actor: str
    action: str
    detail: str

    def to_dict(self) -> dict:
        return {"day": round(self.day, 4), "actor": self.actor, "action": self.action, "detail": self.detail}
