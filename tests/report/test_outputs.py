"""write_outputs: every file, atomically, never replacing what is not ours."""

from __future__ import annotations

from pathlib import Path

import pytest

import wanzheng.report as report
from wanzheng.audit.result import AuditResult
from wanzheng.errors import ConflictError, DataError
from wanzheng.report import OUTPUT_NAMES, OutputFiles, write_outputs


def test_public_api_matches_all() -> None:
    for name in report.__all__:
        assert hasattr(report, name), name


def test_writes_every_file(result: AuditResult, tmp_path: Path) -> None:
    out = tmp_path / "deep" / "out"
    calls: list[tuple[str, int, int]] = []
    files = write_outputs(result, out, progress=lambda s, d, t: calls.append((s, d, t)))
    assert isinstance(files, OutputFiles)
    assert files.out_dir == out
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUT_NAMES)
    for path in files.all():
        assert path.parent == out and path.stat().st_size > 0
    assert calls == [
        ("communities.csv", 0, 5),
        ("communities.xlsx", 1, 5),
        ("facilities.csv", 2, 5),
        ("audit.gpkg", 3, 5),
        ("report.html", 4, 5),
        ("done", 5, 5),
    ]
    # Nothing but the output directory is left next to it.
    assert [p.name for p in out.parent.iterdir()] == ["out"]


def test_replaces_an_earlier_output(result: AuditResult, tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_outputs(result, out)
    (out / "report.html").write_text("stale", encoding="utf-8")
    write_outputs(result, out)
    assert (out / "report.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in tmp_path.iterdir()] == ["out"], "no .tmp / .old left behind"


def test_refuses_to_replace_a_foreign_directory(result: AuditResult, tmp_path: Path) -> None:
    out = tmp_path / "home"
    out.mkdir()
    (out / "thesis.docx").write_text("precious", encoding="utf-8")
    with pytest.raises(ConflictError, match=r"home: refusing .*thesis\.docx"):
        write_outputs(result, out)
    assert [p.name for p in out.iterdir()] == ["thesis.docx"]
    assert [p.name for p in tmp_path.iterdir()] == ["home"]


def test_out_dir_that_is_a_file(result: AuditResult, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.write_text("x", encoding="utf-8")
    with pytest.raises(DataError, match="is not a directory"):
        write_outputs(result, out)


def test_failure_leaves_no_partial_output(
    result: AuditResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise OSError("disk full")

    out = tmp_path / "out"
    monkeypatch.setattr(report, "write_gpkg", broken)
    with pytest.raises(OSError, match="disk full"):
        write_outputs(result, out)
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [], "the temporary directory is removed"


def test_failure_keeps_the_earlier_output(
    result: AuditResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    write_outputs(result, out)
    before = (out / "communities.csv").read_bytes()

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("template bug")

    monkeypatch.setattr(report, "write_html", broken)
    with pytest.raises(RuntimeError, match="template bug"):
        write_outputs(result, out)
    assert (out / "communities.csv").read_bytes() == before
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUT_NAMES)
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_an_area_with_no_facilities_buildings_or_population(
    result: AuditResult, tmp_path: Path
) -> None:
    comm = result.communities.copy()
    comm["population"] = float("nan")
    comm["population_source"] = "unknown"
    bare = AuditResult(
        communities=comm,
        facilities=result.facilities.iloc[0:0],
        coverage=result.coverage.assign(population_share=float("nan")),
        network=result.network.iloc[0:0],
        buildings=result.buildings.iloc[0:0],
        kinds=result.kinds,
        sources={},
    )
    files = write_outputs(bare, tmp_path / "out")
    page = files.report_html.read_text(encoding="utf-8")
    assert "未知（没有人口数据）" in page, "the residents bar says it has nothing to show"
    assert "人口未知" in page
    assert files.facilities_csv.read_text(encoding="utf-8-sig").strip() == (
        "id,name,kind,lon,lat,source,snap_leg_m"
    )


def test_sidecars_of_earlier_outputs_do_not_block(result: AuditResult, tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_outputs(result, out)
    for name in ("audit.gpkg.aux.xml", "audit.gpkg-wal", "~$communities.xlsx"):
        (out / name).write_text("", encoding="utf-8")
    write_outputs(result, out)
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUT_NAMES)
    (out / "report.html.bak").write_text("", encoding="utf-8")
    with pytest.raises(ConflictError, match=r"report\.html\.bak"):
        write_outputs(result, out)


def test_relative_out_dir(
    result: AuditResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    files = write_outputs(result, Path("a/../out"))
    assert files.report_html == Path("a/../out/report.html")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(OUTPUT_NAMES)


def test_symlinked_out_dir_is_refused(result: AuditResult, tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real)
    with pytest.raises(DataError, match="symbolic link"):
        write_outputs(result, tmp_path / "link")
