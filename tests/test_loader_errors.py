"""Every kind of file problem gives one located line and exit code 1, never a traceback."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sandbox.cli import main
from tests.conftest import FLAGSHIP, ROOT


@pytest.fixture
def scenario_copy(tmp_path: Path) -> Path:
    dst = tmp_path / "benefits-triage"
    shutil.copytree(ROOT / "scenarios" / "benefits-triage", dst)
    return dst


def _replace(path: Path, old: str, new: str) -> int:
    text = path.read_text()
    assert old in text, old
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new, 1))
    return line


def _validate(capsys, *paths) -> tuple[int, list[str]]:
    code = main(["validate", *map(str, paths)])
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err
    return code, [ln for ln in out.out.splitlines() if ln.strip()]


def test_repository_is_valid(capsys):
    code, lines = _validate(capsys)
    assert code == 0, lines


def test_yaml_syntax_error(scenario_copy, capsys):
    path = scenario_copy / "scenario.yaml"
    line = _replace(path, "  days: 365\n", "  days: [365\n")
    code, lines = _validate(capsys, scenario_copy)
    assert code == 1
    assert len(lines) == 1 and lines[0].startswith(f"{path}:")
    assert "YAML syntax error" in lines[0]
    reported = int(lines[0].split(":")[1])
    assert line <= reported <= line + 2


@pytest.mark.parametrize(("text", "line", "words"), [
    ("a: 1\n\tb: 2\n", 2, "found character '\\t' that cannot start any token"),
    ("a: 1\nb: !!python/object/apply:os.system ['echo hi']\n", 2, "could not determine a constructor"),
    ("a: 1\n---\nb: 2\n", 2, "another document"),
])
def test_yaml_mistakes_are_located_and_nothing_is_executed(tmp_path, text, line, words):
    """Files are parsed once with libyaml's safe loader when present; a file with a mistake is reported with the
    pure-Python parser's (more specific) message, and tags that would build Python objects are refused."""
    from sandbox.spec.yamlio import LoadError, parse_yaml_text

    with pytest.raises(LoadError) as err:
        parse_yaml_text(tmp_path / "x.yaml", text)
    (problem,) = err.value.problems
    assert problem.line == line and words in problem.message, problem


def test_fast_and_pure_parsers_agree_on_every_bundled_file():
    import yaml

    from sandbox.spec.yamlio import parse_yaml_text

    files = sorted({*ROOT.glob("scenarios/**/*.yaml"), *ROOT.glob("sandbox/**/*.yaml")})
    assert files
    for path in files:
        text = path.read_text()
        doc = parse_yaml_text(path, text)
        assert doc.data == yaml.safe_load(text), path
        pure = yaml.compose(text, Loader=yaml.SafeLoader)
        assert [n.start_mark.line for n in _nodes(doc.root)] == [n.start_mark.line for n in _nodes(pure)], path


def _nodes(node):
    yield node
    if isinstance(node.value, list):
        for item in node.value:
            for part in item if isinstance(item, tuple) else (item,):
                yield from _nodes(part)


def test_wrong_type(scenario_copy, capsys):
    path = scenario_copy / "scenario.yaml"
    line = _replace(path, "  label_delay_days: 56", "  label_delay_days: eight weeks")
    code, lines = _validate(capsys, scenario_copy)
    assert code == 1
    assert lines == [f"{path}:{line}: timeline.label_delay_days: Input should be a valid integer, "
                     "unable to parse string as an integer"]


def test_unknown_field(scenario_copy, capsys):
    path = scenario_copy / "scenario.yaml"
    line = _replace(path, "  label_delay_days: 56", "  label_delay_days: 56\n  label_delay_weeks: 8")
    code, lines = _validate(capsys, scenario_copy)
    assert code == 1
    assert lines == [f"{path}:{line + 1}: timeline.label_delay_weeks: unknown field"]


def test_missing_file(tmp_path, capsys):
    folder = tmp_path / "empty-scenario"
    folder.mkdir()
    (folder / "plans").mkdir()
    code = main(["validate", str(folder / "plans")])
    out = capsys.readouterr().out
    assert code == 1
    assert f"{folder / 'scenario.yaml'}:1: (file): file not found" in out


def test_invalid_plan_choice_and_unknown_decision(scenario_copy, capsys):
    path = scenario_copy / "plans" / "naive.yaml"
    line_a = _replace(path, "  deployment.strategy: big_bang", "  deployment.strategy: yolo")
    line_b = _replace(path, "  retraining.mode: none", "  retraining.mode: none\n  retraining.vibes: true")
    code, lines = _validate(capsys, path)
    assert code == 1
    assert f"{path}:{line_a}: decisions.deployment.strategy: invalid choice 'yolo'; allowed: big_bang, shadow, " \
           "canary, ab_test" in lines
    assert f"{path}:{line_b + 1}: decisions.retraining.vibes: unknown decision id" in lines


def test_bad_csv_column(tmp_path, capsys):
    folder = tmp_path / "csv-case"
    (folder / "plans").mkdir(parents=True)
    (folder / "cases.csv").write_text("income,group,label\n1200,a,0\n800,b,1\n")
    src = (ROOT / "tests" / "fixtures" / "tiny" / "scenario.yaml").read_text()
    import yaml

    data = yaml.safe_load(src)
    data["id"] = "csv-case"
    data["data"] = {"csv": {"path": "cases.csv", "target": "label", "protected": ["group"],
                            "numeric": ["income", "savings"]}}
    data["events"] = []
    data["policy"]["fairness"]["attribute"] = "group"
    data.pop("decisions")
    (folder / "scenario.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    code, lines = _validate(capsys, folder)
    assert code == 1
    assert len(lines) == 1
    assert ": data.csv.numeric: column 'savings' is not in cases.csv" in lines[0]
    text = (folder / "scenario.yaml").read_text().splitlines()
    assert "savings" in text[int(lines[0].split(":")[1]) - 1]


def test_run_with_bad_plan_exits_1_without_traceback(capsys):
    code = main(["run", "benefits-triage", "--plan", "no-such-plan"])
    err = capsys.readouterr().err
    assert code == 1
    assert "no such plan file or plan name" in err and "Traceback" not in err


def test_schema_prints_json(capsys):
    import json

    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert "timeline" in schema["scenario"]["properties"]
    assert schema["decisions"]["deployment.strategy"]["default"] == "big_bang"


def test_a_plan_refuses_a_decision_it_does_not_have_and_names_the_nearest():
    from sandbox.spec.decisions import UnknownDecision
    from sandbox.spec.loader import load_plan, load_scenario

    plan = load_plan(load_scenario("benefits-triage"), "expert")
    with pytest.raises(UnknownDecision, match=r"no decision 'monitoring.cadance'; did you mean 'monitoring.cadence'\?"):
        plan.with_changes(monitoring__cadance="daily")
    with pytest.raises(UnknownDecision, match="did you mean 'data.versioning'"):
        plan["data.versionning"]
    with pytest.raises(UnknownDecision, match="no decision 'zzz'$"):
        plan["zzz"]
    assert plan.monitoring.cadence == plan["monitoring.cadence"]
    with pytest.raises(UnknownDecision, match="did you mean 'monitoring.cadence'"):
        plan.monitoring.cadance  # noqa: B018
    assert plan.with_changes(monitoring__cadence="weekly").monitoring.cadence == "weekly"


def test_saved_plans_gain_new_decisions_and_lose_retired_ones(tmp_path):
    from sandbox.spec.loader import load_plan, load_scenario, saved_plan
    from sandbox.store import open_store
    from sandbox.store.common import StoreError

    loaded = load_scenario("benefits-triage")
    full = load_plan(loaded, None).to_dict()
    old = {"name": "mine", "decisions": {k: v for k, v in full["decisions"].items() if k != "monitoring.cadence"}
           | {"retired.decision": True}, "impact_answers": {}}
    now = saved_plan(old, loaded.scenario)
    assert now["decisions"] == full["decisions"] and now["name"] == "mine"  # the new one takes its default
    store = open_store(f"sqlite:///{tmp_path / 's.db'}")
    me = store.create_learner("Grace")
    attempt = store.new_attempt(me["id"], "benefits-triage", "standard", 1, full, "problem")
    with pytest.raises(StoreError, match="did you mean 'monitoring.cadence'"):
        store.save_decisions(attempt, {"monitoring.cadance": "daily"})
    assert store.save_decisions(attempt, {"scenario.staffing": full["decisions"]["scenario.staffing"]})


def test_options_that_do_not_fit_the_task_are_refused_not_offered_and_not_defaults(scenario_copy, capsys):
    from sandbox.spec.decisions import in_phase
    from sandbox.spec.loader import load_plan, load_scenario, saved_plan

    path = scenario_copy / "plans" / "naive.yaml"
    line = _replace(path, "  problem.success_metric: accuracy", "  problem.success_metric: mae")
    code, lines = _validate(capsys, path)
    assert code == 1
    assert f"{path}:{line}: decisions.problem.success_metric: 'mae' does not fit a classification task; " \
           "allowed: accuracy, balanced_accuracy, recall, precision, f1" in lines
    ambulance = load_scenario("ambulance-demand")  # a regression
    defaults = load_plan(ambulance, None)
    assert defaults["problem.success_metric"] == "mae" and defaults["model.algorithm"] == "linear_regression"
    assert "model.class_weight" not in [k for k, _ in in_phase("development", ambulance.scenario)]
    assert "model.class_weight" in [k for k, _ in in_phase("development", load_scenario(FLAGSHIP).scenario)]
    old = {"name": "mine", "decisions": {**defaults.decisions, "problem.success_metric": "accuracy",
                                         "model.algorithm": "logistic_regression"}}
    again = saved_plan(old, ambulance.scenario)["decisions"]  # saved before the task's options were enforced
    assert again["problem.success_metric"] == "mae" and again["model.algorithm"] == "linear_regression"


def test_validate_refuses_a_decision_that_cannot_move_the_score(tmp_path):
    """A scenario's own decision that no criterion compares nor lists under moved_by is named, with its line."""


    from sandbox.cli.validate import validate_paths
    from tests.conftest import TINY

    folder = tmp_path / "tiny"
    shutil.copytree(TINY, folder)
    assert validate_paths([folder]) == []
    text = (folder / "scenario.yaml").read_text()
    extra = ("  scenario.leaflets:\n    phase: feedback\n    question: Print leaflets about the service?\n"
             "    default: none\n    choices:\n      none: {description: No leaflets.}\n"
             "      many: {description: Leaflets in every office.}\n")
    (folder / "scenario.yaml").write_text(text.replace("decisions:\n", "decisions:\n" + extra, 1))
    problems = validate_paths([folder])
    assert len(problems) == 1, problems
    line = (folder / "scenario.yaml").read_text().splitlines().index("  scenario.leaflets:") + 1
    assert problems[0].line == line and "scenario.leaflets" in problems[0].message
    assert "cannot move the score" in problems[0].message
