"""report.html: self-contained, offline, with the map, the summary and the provenance."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from typing import Any

import pytest

from wanzheng.audit.result import AuditResult
from wanzheng.report.html import render_html


@pytest.fixture
def page(result: AuditResult) -> str:
    return render_html(result)


def _data(page: str) -> Any:
    m = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', page, re.S)
    assert m is not None
    return json.loads(m.group(1))


class _Collector(HTMLParser):
    """Counts elements and collects attributes that could load something."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: dict[str, int] = {}
        self.classes: list[str] = []
        self.loading: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] = self.tags.get(tag, 0) + 1
        for name, value in attrs:
            if name == "class" and value:
                self.classes.append(value)
            if name in {"src", "href", "xlink:href", "action", "data"} and value:
                self.loading.append((tag, name, value))


def test_no_external_reference_at_all(page: str) -> None:
    assert "http://" not in page
    assert "https://" not in page
    parser = _Collector()
    parser.feed(page)
    assert "link" not in parser.tags, "no stylesheet links: CSS is inline"
    assert "img" not in parser.tags and "iframe" not in parser.tags
    # Every src/href is an in-page anchor.
    for tag, name, value in parser.loading:
        assert value.startswith("#"), (tag, name, value)
    assert not re.search(r"url\((?!#)", page), "CSS url() only to in-page SVG patterns"
    assert "@import" not in page


def test_map_layers_are_drawn(page: str, result: AuditResult) -> None:
    parser = _Collector()
    parser.feed(page)
    comm = [c for c in parser.classes if c.startswith("comm ")]
    assert sorted(comm) == sorted(["comm v-undetermined", "comm v-incomplete", "comm v-incomplete"])
    assert parser.classes.count("fac") == len(result.facilities) == 3
    assert page.count('class="fac-kind"') == 2, "one group per kind that has facilities"
    # The network: 1 residential street, 1 primary road, 2 paths (footway, path), 1 service.
    street = re.search(r'class="net net-street" d="([^"]*)"', page)
    road = re.search(r'class="net net-road" d="([^"]*)"', page)
    path = re.search(r'class="net net-path" d="([^"]*)"', page)
    assert street and road and path
    assert street.group(1).count("M") == 2
    assert road.group(1).count("M") == 1
    assert path.group(1).count("M") == 2
    # Buildings: one residential and one other polygon.
    res = re.search(r'class="bld bld-res" d="([^"]*)"', page)
    other = re.search(r'class="bld bld-other" d="([^"]*)"', page)
    assert res and other
    assert res.group(1).count("Z") == 1 and other.group(1).count("Z") == 1


def test_map_geometry_is_in_metres(page: str) -> None:
    # c1 is 0.002° of longitude wide at 40° N: 111320 × cos(40.0015°) × 0.002 ≈ 170.5 m.
    m = re.search(r'<path class="comm v-undetermined"[^>]* d="M([^"]*)Z"', page)
    assert m is not None
    pts = [tuple(float(v) for v in p.split()) for p in m.group(1).split("L")]
    xs = [p[0] for p in pts]
    ys = [p[1] for p in pts]
    assert max(xs) - min(xs) == pytest.approx(170.5, abs=0.3)
    # 0.0015° of latitude ≈ 165.9 m.
    assert max(ys) - min(ys) == pytest.approx(165.9, abs=0.3)


def test_page_data_for_the_detail_panel(page: str) -> None:
    data = _data(page)
    # Verdict kinds first, then the life-circle kinds (the supermarket here).
    assert [k["key"] for k in data["kinds"]] == [
        "kindergarten",
        "health_station",
        "barrier_free",
        "supermarket",
    ]
    assert [k["v"] for k in data["kinds"]] == [True, True, True, False]
    assert data["shares"] is False
    c1, c2, c3 = data["communities"]
    assert c1["name"] == "阳光小区" and c1["verdict"] == "undetermined"
    assert c1["population"] == 3200 and c1["popsrc"] == "给定"
    # Rows are [distance m, status, nearest name, share] in data["kinds"] order; the script
    # derives the texts ("650.0", "> 500", minutes) from them and data["cutoff"].
    assert c1["rows"][0] == [120.3, "met", "阳光幼儿园", None]
    assert c1["rows"][1] == [None, "no_data", "", None]
    assert c1["rows"][2] == [None, "not_audited", "", None]
    assert c1["rows"][3] == [420.1, "met", "物美超市", None], "supermarket, last"
    assert c2["rows"][0] == [650.0, "missing", "阳光幼儿园", None]
    assert c3["rows"][0] == [None, "missing", "", None]
    assert data["cutoff"] == 500.0 and data["speed"] == 60.0
    assert c3["population"] is None
    fac = data["facilities"][0]
    assert fac["name"] == "阳光幼儿园" and fac["src"] == "OpenStreetMap"
    assert fac["serves"] == ["阳光小区（120 米）", "和平里（650 米）"]
    assert data["facilities"][1]["src"] == "设施台账"


def test_summary_figures_and_provenance(page: str) -> None:
    text = re.sub(r"<[^>]+>", " ", page)
    assert "© OpenStreetMap contributors, ODbL" in page
    assert "完整居住社区建设标准（试行）测试目录" in page
    assert "2026.1-test" in page
    assert "8,200" in text, "residents with a known population: 3200 + 5000.4"
    assert "1 个社区人口未知" in text
    assert "6 / 5" in text, "network nodes / edges"
    # Verdict cards: 0 complete, 2 incomplete, 1 undetermined.
    cards = re.findall(r'verdict-card v-(\w+)"><div class="num">(\d+)<', page)
    assert dict(cards) == {"complete": "0", "incomplete": "2", "undetermined": "1"}
    assert "估算、给定、未知" in text, "population method named"
    assert "35.0 平方米" in text


def test_no_data_kinds_name_the_source_that_would_settle_them(page: str) -> None:
    section = page.split('id="nodata"')[1].split("</section>")[0]
    assert "社区卫生服务站" in section
    assert "设施台账" in section
    assert "幼儿园" not in section.split("以下是清单项")[0], "kindergarten has data"
    assert "无障碍" in section, "the checklist item is named as not audited"


def test_unverified_thresholds_flagged(page: str) -> None:
    box = page.split('class="warn-box unverified"')[1].split("</p>")[0]
    assert "幼儿园" in box and "社区卫生服务站" in box and "无障碍" in box
    assert "综合超市" not in box, "the supermarket threshold is verified"


def test_coverage_chart_bar_widths(page: str) -> None:
    chart = page.split('aria-labelledby="cov-chart-title')[1].split("</svg>")[0]
    widths = [float(w) for w in re.findall(r'<rect class="bar" [^>]*width="([\d.]+)"', chart)]
    # 380 px track; kindergarten 3200 / 8200.4 = 39.0 %, supermarket 100 %.
    assert widths == [pytest.approx(380 * 3200 / 8200.4, abs=0.05), 380.0]
    assert "39.0%" in chart and "100.0%" in chart
    assert 'class="nodata"' in chart, "the no-data kind is drawn hatched, not as 0 %"


def test_names_are_escaped(make_result: Any) -> None:
    nasty = '</script><script>alert("x")</script>'
    page = render_html(make_result(names=(nasty, "A&B", "<b>c</b>")))
    assert nasty not in page
    assert "<b>c</b>" not in page
    data = _data(page)
    assert [c["name"] for c in data["communities"]] == [nasty, "A&B", "<b>c</b>"]
    assert page.count("<script") == 2, "only the data block and our own script"


def test_html_is_zh_cn_and_accessible(page: str) -> None:
    assert '<html lang="zh-CN">' in page
    assert 'aria-live="polite"' in page
    parser = _Collector()
    parser.feed(page)
    assert parser.tags.get("caption", 0) >= 4, "every data table has a caption"
    # Every map element one can click is reachable by keyboard.
    assert len(re.findall(r'class="comm [^"]*" data-c="\d+" tabindex="0" role="button"', page)) == 3
    assert len(re.findall(r'class="fac" data-f="\d+"[^>]*tabindex="0"', page)) == 3


def test_marker_shape_follows_the_tier(page: str) -> None:
    from wanzheng.report.html import TIER_SHAPES

    kg = re.search(r'<path class="fac" data-f="0" d="([^"]+)"', page)
    sm = re.search(r'<path class="fac" data-f="1" d="([^"]+)"', page)
    assert kg and sm
    assert kg.group(1) == TIER_SHAPES["5min"], "kindergarten: 5-minute tier, circle"
    assert sm.group(1) == TIER_SHAPES["10min"], "supermarket: 10-minute tier, square"


def test_kind_colours_unique_per_shape() -> None:
    from wanzheng.report._common import KindInfo
    from wanzheng.report.html import kind_colours

    def kind(key: str, tier: str) -> KindInfo:
        return KindInfo(key, key, key, tier, 300.0, True, "", "", "", True)

    kinds = [kind(f"a{i}", "5min") for i in range(12)] + [kind("b0", "10min")]
    colours = kind_colours(kinds)
    assert len({colours[f"a{i}"] for i in range(12)}) == 12
    assert colours["b0"] == colours["a0"], "another tier reuses colours with another shape"


def test_gaps_ranked_by_residents_affected(page: str) -> None:
    table = page.split('class="data gaps"')[1].split("</table>")[0]
    rows = re.findall(r"<tr(?: class=\"lc\")?>(.*?)</tr>", table, re.S)[1:]
    text = [re.sub(r"<[^>]+>", " ", r) for r in rows]
    # kindergarten missing in 和平里 (5000) and 东园 (unknown); supermarket only in 东园.
    assert len(text) == 2
    assert "幼儿园" in text[0] and "5,000" in text[0] and "+1 个社区人口未知" in text[0]
    assert "和平里、东园" in text[0]
    assert "综合超市" in text[1] and "东园" in text[1]
    # The two groups, in this order, each with its heading row before its kinds.
    heads = [m.start() for m in re.finditer('class="group-row"', table)]
    assert len(heads) == 2
    assert heads[0] < table.index("幼儿园") < heads[1] < table.index("综合超市")
    assert "完整社区要素" in table[heads[0] : heads[1]]
    assert "生活圈配套" in table[heads[1] :] and "不计入结论" in table[heads[1] :]
    assert "社区卫生服务站" not in table, "no-data kinds are not gaps"


def test_coverage_table_states_evidence_and_confidence(page: str) -> None:
    table = page.split("每类设施的覆盖情况")[1].split("</table>")[0]
    rows = [re.sub(r"<[^>]+>", " ", r) for r in re.findall(r"<tr>(.*?)</tr>", table, re.S)[1:]]
    # Verdict kinds (kindergarten, health station) first, then the life-circle supermarket.
    assert "OSM" in rows[0] and re.search(r"\s低\s", rows[0])
    assert "无数据" in rows[1]
    assert "台账+OSM" in rows[2] and re.search(r"\s高\s", rows[2])
    assert table.count('class="group-row"') == 2


def test_notices_name_what_did_not_make_it(make_result: Any) -> None:
    res = make_result()
    res.sources.update(unmapped_ledger_rows=3, unsnapped_facilities=2, max_snap_m=300.0)
    page = render_html(res)
    box = page.split('role="note"')[1].split("</div>")[0]
    assert "设施台账中有 3 行无法归入任何设施类别" in box
    assert "2 处设施距步行路网超过 300 米" in box
    assert "个社区" not in box, "no community was left unsnapped"
    res.sources.update(unmapped_ledger_rows=0, unsnapped_facilities=0)
    assert 'role="note"' not in render_html(res)


def test_ids_are_unique_and_in_page_references_resolve(page: str) -> None:
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), [i for i in ids if ids.count(i) > 1]
    for ref in re.findall(r"url\(#([^)]+)\)", page) + re.findall(r'href="#([^"]+)"', page):
        assert ref in ids, ref
    for ref in re.findall(r'aria-labelledby="([^"]+)"', page):
        for part in ref.split():
            assert part in ids, part


def test_no_markup_escaped_into_text(page: str) -> None:
    # With plain names, an '&lt;' can only be our own markup escaped by mistake.
    assert "&lt;" not in page


def test_no_gaps_says_so(result: AuditResult) -> None:
    for col in [c for c in result.communities.columns if c.endswith("_status")]:
        result.communities[col] = result.communities[col].replace("missing", "met")
    page = render_html(result)
    section = page.split('id="gaps"')[1].split("</section>")[0]
    assert "没有缺失的类别" in section
    assert "<table" not in section


def test_verdict_scope_and_life_circle_legend(page: str) -> None:
    scope = page.split('id="verdict-scope"')[1].split("</p>")[0]
    assert "完整社区要素" in scope and "生活圈配套" in scope
    assert "1 个社区至少缺少一类生活圈配套" in scope, "东园 lacks the supermarket"
    legend = page.split('class="kind-toggles"')[1].split("</fieldset>")[0]
    sections = re.findall(r'<h4 class="section-label">(.*?)</h4>', legend)
    assert sections == ["完整社区要素（决定结论）", "生活圈配套（单列，不计入结论）"]
    assert legend.index('data-kind="supermarket"') > legend.index("生活圈配套")
    matrix = page.split('class="data matrix"')[1].split("</thead>")[0]
    assert 'colspan="3">完整社区要素' in matrix and 'colspan="1">生活圈配套' in matrix


def test_origins_are_stated(make_result: Any) -> None:
    centroid = render_html(make_result())
    note = centroid.split('id="origins-note"')[1].split("</p>")[0]
    assert "社区代表点" in note and "centroid" in note
    buildings = make_result(origins="buildings")
    page = render_html(buildings)
    note = page.split('id="origins-note"')[1].split("</p>")[0]
    assert "住宅建筑" in note and "加权中位数" in note and "阈值内居民比例" in note
    data = _data(page)
    assert data["shares"] is True
    c2 = data["communities"][1]
    assert c2["rows"][0][3] == 0.25 and c2["rows"][3][3] == 1.0
    assert c2["rows"][1][3] is None, "no share for a kind without data"
    matrix = page.split('class="data matrix"')[1].split("</table>")[0]
    assert '<span class="sh">25%</span>' in matrix
