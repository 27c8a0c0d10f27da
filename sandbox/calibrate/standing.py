"""Where a score stands against chance: the scenario's random-plan distribution, saved with the scenario.

``sandbox calibrate SCENARIO --save`` writes the random plans' totals (and the expert's and naive plan's) for the
difficulty it swept to ``<scenario>/calibration.json``, with a fingerprint of every file the score depends on
(the scenario, its plans, its rubric and the core rubric). The Results page reads it to say how a learner's score
compares with plans chosen at random; when a file has changed since, the saved figures no longer describe the
scenario and are not shown.
"""

from __future__ import annotations

import hashlib
import json
import statistics
from pathlib import Path

from sandbox.spec.loader import LoadedScenario

FILE = "calibration.json"
CORE_RUBRIC = Path(__file__).resolve().parent.parent / "scoring" / "core.yaml"


def fingerprint(loaded: LoadedScenario) -> str:
    """A digest of the files a score depends on (the engine's code aside: recalibrate after changing it)."""
    folder = loaded.folder
    files = [folder / "scenario.yaml", folder / "rubric.yaml", CORE_RUBRIC, *sorted((folder / "plans").glob("*.yaml"))]
    digest = hashlib.sha256()
    for f in files:
        if f.is_file():
            digest.update(f.name.encode() + b"\0" + f.read_bytes().replace(b"\r\n", b"\n") + b"\0")
    return digest.hexdigest()


def save(loaded: LoadedScenario, result: dict) -> Path:
    """Keep a sweep's distribution with the scenario (other difficulties' figures are kept while still current)."""
    path = loaded.folder / FILE
    mark = fingerprint(loaded)
    saved = _read(path)
    kept = saved["difficulties"] if saved and saved.get("fingerprint") == mark else {}
    plans = result["plans"]
    kept[result["difficulty"]] = {
        "seeds": result["seeds"], "random": sorted(result["random"]["totals"]),
        **{name: plans[name]["totals"] for name in ("expert", "naive") if name in plans}}
    path.write_text(json.dumps({"fingerprint": mark, "difficulties": dict(sorted(kept.items()))}, indent=1,
                               sort_keys=True) + "\n", encoding="utf-8")
    return path


def _read(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("difficulties"), dict) else None


def distribution(loaded: LoadedScenario, difficulty: str) -> dict | None:
    """The saved distribution for this difficulty, or None when there is none or it no longer describes the
    scenario's files."""
    saved = _read(loaded.folder / FILE)
    if not saved or saved.get("fingerprint") != fingerprint(loaded):
        return None
    found = saved["difficulties"].get(difficulty)
    ok = isinstance(found, dict) and isinstance(found.get("random"), list) and len(found["random"]) >= 5
    return found if ok else None


def standing(total: float, dist: dict) -> dict:
    """``beats``: the share of random plans this total is above (a tie counts half), their median and count,
    and the expert plan's median when saved."""
    rnd = [float(t) for t in dist["random"]]
    beats = (sum(t < total for t in rnd) + 0.5 * sum(t == total for t in rnd)) / len(rnd)
    expert = dist.get("expert")
    return {"beats": round(beats, 4), "median": statistics.median(rnd), "count": len(rnd),
            "expert": statistics.median(expert) if expert else None}


def words(total: float, dist: dict) -> str:
    s = standing(total, dist)
    share = round(100 * s["beats"])
    said = (f"Against chance: {total:.1f} is above {share}% of {s['count']} plans made of random choices for "
            f"this scenario (their median is {s['median']:.1f})")
    if s["expert"] is not None:
        said += f"; the expert plan scores {s['expert']:.1f}"
    return said + "."
