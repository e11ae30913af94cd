/* wanzheng report — pan/zoom of the inline SVG map, layer toggles and the detail panel.
   Inlined into report.html; no libraries, no network. Text goes in through textContent only. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var svg = document.getElementById("map");
  var detail = document.getElementById("detail");
  if (!svg || !detail) { return; }
  var kinds = {};
  data.kinds.forEach(function (k) { kinds[k.key] = k; });
  // Rows arrive as [distance m, status, nearest name, share] in data.kinds order.
  function fmt1(v) { return v.toLocaleString("en-US", { minimumFractionDigits: 1, maximumFractionDigits: 1 }); }
  data.communities.forEach(function (c) {
    c.rows = c.rows.map(function (a, i) {
      var d = a[0], st = a[1], measured = st === "met" || st === "missing";
      var dt = "—";
      if (measured) {
        dt = d !== null ? fmt1(d) : (data.cutoff !== null ? "> " + Math.round(data.cutoff).toLocaleString("en-US") : "—");
      }
      return { k: data.kinds[i].key, d: d, st: st, near: a[2], sh: a[3], dt: dt,
        min: d !== null && data.speed ? d / data.speed : null };
    });
  });

  // ---------------------------------------------------------------- helpers
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === "text") { node.textContent = attrs[name]; }
      else { node.setAttribute(name, attrs[name]); }
    });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) { return; }
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }
  function fmtInt(v) { return v === null || v === undefined ? "—" : Math.round(v).toLocaleString("zh-CN"); }
  var SYMBOL = { met: "✓", missing: "✗", no_data: "?", not_audited: "—" };

  // ---------------------------------------------------------------- pan and zoom
  var vb = svg.viewBox.baseVal;
  var home = { x: vb.x, y: vb.y, w: vb.width, h: vb.height };
  var view = { x: home.x, y: home.y, w: home.w, h: home.h };
  var scaleBar = document.querySelector("#scale .scale-bar");
  var scaleText = document.querySelector("#scale .scale-text");

  function metresPerPixel() {
    var r = svg.getBoundingClientRect();
    if (!r.width || !r.height) { return view.w / 900; }
    return Math.max(view.w / r.width, view.h / r.height);
  }
  function updateScale(k) {
    if (!scaleBar || !scaleText) { return; }
    var target = 120 * k;
    var p = Math.pow(10, Math.floor(Math.log(target) / Math.LN10));
    var nice = p;
    [1, 2, 5].forEach(function (m) { if (m * p <= target) { nice = m * p; } });
    scaleBar.style.width = (nice / k).toFixed(0) + "px";
    scaleText.textContent = nice >= 1000 ? (nice / 1000) + " 公里" : nice + " 米";
  }
  function apply() {
    svg.setAttribute("viewBox", [view.x, view.y, view.w, view.h].join(" "));
    var k = metresPerPixel();
    svg.style.setProperty("--k", k.toFixed(4));
    updateScale(k);
  }
  // Hide labels that would overlap a label of a larger (or the selected) community.
  var labels = Array.prototype.slice.call(svg.querySelectorAll("#layer-labels .lbl"));
  var selectedC = null;
  function declutter() {
    // Reset, then read every box in one layout pass, then decide: no layout per label.
    labels.forEach(function (t) { t.style.visibility = ""; });
    var boxes = labels.map(function (t) { return t.getBoundingClientRect(); });
    var order = labels.map(function (t, i) { return i; });
    order.sort(function (a, b) {
      var sa = labels[a].getAttribute("data-c") === selectedC ? 1 : 0;
      var sb = labels[b].getAttribute("data-c") === selectedC ? 1 : 0;
      return (sb - sa) || (Number(labels[b].getAttribute("data-p")) - Number(labels[a].getAttribute("data-p")));
    });
    var placed = [];
    var hidden = [];
    order.forEach(function (i) {
      var r = boxes[i];
      if (!r.width && !r.height) { return; }
      var hit = placed.some(function (p) {
        return !(r.right < p.left || r.left > p.right || r.bottom < p.top || r.top > p.bottom);
      });
      if (hit) { hidden.push(labels[i]); } else { placed.push(r); }
    });
    hidden.forEach(function (t) { t.style.visibility = "hidden"; });
  }
  function toSvg(clientX, clientY) {
    var pt = svg.createSVGPoint();
    pt.x = clientX; pt.y = clientY;
    return pt.matrixTransform(svg.getScreenCTM().inverse());
  }
  function zoom(factor, cx, cy) {
    var w = Math.min(Math.max(view.w * factor, home.w / 40), home.w * 3);
    var f = w / view.w;
    view.x = cx - (cx - view.x) * f;
    view.y = cy - (cy - view.y) * f;
    view.w *= f; view.h *= f;
    apply();
    declutter();
  }
  function zoomCentre(factor) { zoom(factor, view.x + view.w / 2, view.y + view.h / 2); }

  svg.addEventListener("wheel", function (e) {
    e.preventDefault();
    var p = toSvg(e.clientX, e.clientY);
    zoom(e.deltaY > 0 ? 1.25 : 0.8, p.x, p.y);
  }, { passive: false });

  var drag = null;
  var suppressClick = false;
  svg.addEventListener("pointerdown", function (e) {
    if (e.button !== 0) { return; }
    drag = { x: e.clientX, y: e.clientY, vx: view.x, vy: view.y, k: metresPerPixel(), moved: false, id: e.pointerId };
  });
  svg.addEventListener("pointermove", function (e) {
    if (!drag) { return; }
    var dx = e.clientX - drag.x, dy = e.clientY - drag.y;
    if (!drag.moved && Math.abs(dx) + Math.abs(dy) < 5) { return; }
    if (!drag.moved) { drag.moved = true; svg.setPointerCapture(drag.id); svg.classList.add("dragging"); }
    view.x = drag.vx - dx * drag.k;
    view.y = drag.vy - dy * drag.k;
    apply();
  });
  function endDrag() {
    if (drag && drag.moved) {
      suppressClick = true;
      setTimeout(function () { suppressClick = false; }, 0);
    }
    drag = null;
    svg.classList.remove("dragging");
  }
  svg.addEventListener("pointerup", endDrag);
  svg.addEventListener("pointercancel", endDrag);

  document.getElementById("zoom-in").addEventListener("click", function () { zoomCentre(0.67); });
  document.getElementById("zoom-out").addEventListener("click", function () { zoomCentre(1.5); });
  document.getElementById("zoom-reset").addEventListener("click", function () {
    view = { x: home.x, y: home.y, w: home.w, h: home.h }; apply(); declutter();
  });
  window.addEventListener("resize", function () { apply(); declutter(); });

  // ---------------------------------------------------------------- detail panel
  function select(selector) {
    Array.prototype.forEach.call(svg.querySelectorAll(".selected"), function (n) { n.classList.remove("selected"); });
    var node = svg.querySelector(selector);
    if (node) { node.classList.add("selected"); }
  }
  function swatch(key) {
    var node = document.querySelector('.kind-swatch[data-kind="' + key + '"] svg');
    return node ? node.cloneNode(true) : null;
  }
  function statusCell(st) {
    return el("td", { "class": "stc" }, [el("span", { "class": "st st-" + st }, [SYMBOL[st] + " " + data.status[st]])]);
  }
  function showCommunity(i) {
    var c = data.communities[i];
    if (!c) { return; }
    select('.comm[data-c="' + i + '"]');
    selectedC = String(i);
    declutter();
    var missing = [], nodata = [], lifeMissing = [];
    c.rows.forEach(function (r) {
      var k = kinds[r.k];
      if (r.st === "missing") { (k.v ? missing : lifeMissing).push(k.zh); }
      if (r.st === "no_data" && k.v) { nodata.push(k.zh); }
    });
    var hasLife = data.kinds.some(function (k) { return !k.v; });
    var rows = [];
    c.rows.forEach(function (r, idx) {
      var k = kinds[r.k];
      if (hasLife && (idx === 0 || kinds[c.rows[idx - 1].k].v !== k.v)) {
        rows.push(el("tr", { "class": "group-row" }, [el("th", { scope: "colgroup", colspan: "4",
          text: k.v ? "完整社区要素（决定结论）" : "生活圈配套（不计入结论）" })]));
      }
      rows.push(el("tr", k.v ? {} : { "class": "lc" }, [
        el("th", { scope: "row" }, [swatch(r.k), k.zh, el("br"),
          el("span", { "class": "en", text: k.en + (k.thr ? " · ≤" + k.thr + " 米" : "") })]),
        el("td", { "class": "n" }, [r.dt,
          r.min === null ? null : el("span", { "class": "min", text: r.min.toFixed(1) + " 分钟" }),
          r.sh === null || r.sh === undefined ? null :
            el("span", { "class": "min", text: "阈值内居民 " + Math.round(100 * r.sh) + "%" })]),
        statusCell(r.st),
        el("td", { text: r.near || "—" })
      ]));
    });
    var table = el("table", { "class": "community-table" }, [
      el("caption", { "class": "sr", text: c.name + " 各类设施" }),
      el("thead", {}, [el("tr", {}, [
        el("th", { scope: "col", text: "类别" }),
        el("th", { scope: "col", text: data.shares ? "距离（米，加权中位数）" : "距离（米）" }),
        el("th", { scope: "col", text: "状态" }), el("th", { scope: "col", text: "最近设施" })
      ])]),
      el("tbody", {}, rows)
    ]);
    var popText = "人口 " + fmtInt(c.population) + (c.popsrc ? "（" + c.popsrc + "）" : "");
    detail.replaceChildren(
      el("h3", { text: c.name }),
      el("p", { "class": "sub" }, [
        el("span", { "class": "vb v-" + c.verdict, text: data.verdict[c.verdict] }), " ",
        popText + " · 完整社区要素达标 " + c.met + "/" + c.required + " 类"
      ]),
      missing.length ? el("p", {}, [el("strong", { text: "缺失：" }), missing.join("、")]) : null,
      nodata.length ? el("p", {}, [el("strong", { text: "无数据：" }), nodata.join("、") + "（需要设施台账）"]) : null,
      lifeMissing.length ? el("p", { "class": "lc-missing" }, [el("strong", { text: "生活圈配套缺失（不计入结论）：" }), lifeMissing.join("、")]) : null,
      c.edgeu && c.edgeu.length ? el("p", { "class": "edge-note" }, [el("strong", { text: "靠近数据边界：" }),
        "本社区距数据范围边缘约 " + c.edge + " 米，" + c.edgeu.map(function (key) { return kinds[key] ? kinds[key].zh : key; }).join("、") +
        " 可能在数据范围外就有，缺失结论待核实（扩大范围或补充设施台账）。"]) : null,
      table,
      el("p", { "class": "en", text: "编号 " + c.id + (data.speed ? " · 步行 " + data.speed + " 米/分钟" : "") })
    );
  }
  function showFacility(i) {
    var f = data.facilities[i];
    if (!f) { return; }
    select('.fac[data-f="' + i + '"]');
    var k = kinds[f.kind] || { zh: f.kind, en: "", colour: "#333" };
    var rows = [
      ["类别", k.zh + (k.en ? " / " + k.en : "")],
      ["来源", f.src || "—"],
      ["编号", f.id],
      ["接入路网距离", f.leg === null ? "未接入" : f.leg.toFixed(1) + " 米"],
      ["经纬度", f.lon === null ? "—" : f.lon.toFixed(6) + ", " + f.lat.toFixed(6)]
    ].map(function (r) { return el("tr", {}, [el("th", { scope: "row", text: r[0] }), el("td", { text: r[1] })]); });
    detail.replaceChildren(
      el("h3", { text: f.name || "（未命名）" }),
      el("p", { "class": "sub" }, [swatch(f.kind), k.zh + " " + (k.en || "")]),
      el("table", { "class": "facility-table" }, [el("tbody", {}, rows)]),
      f.serves.length ? el("p", { text: "是以下社区最近的" + k.zh + "：" }) : null,
      f.serves.length ? el("ul", {}, f.serves.map(function (s) { return el("li", { text: s }); })) : null
    );
  }
  function activate(target) {
    var c = target.closest("[data-c]");
    if (c && svg.contains(c)) { showCommunity(Number(c.getAttribute("data-c"))); return true; }
    var f = target.closest("[data-f]");
    if (f) { showFacility(Number(f.getAttribute("data-f"))); return true; }
    return false;
  }
  svg.addEventListener("click", function (e) { if (!suppressClick) { activate(e.target); } });
  svg.addEventListener("keydown", function (e) {
    if ((e.key === "Enter" || e.key === " ") && activate(e.target)) { e.preventDefault(); }
  });
  // Large areas: the 社区一览 rows are built here from the data (same cells as the server side),
  // a page at a time so that the table's layout never blocks the page.
  var matrixBody = document.getElementById("matrix-body");
  var MATRIX_PAGE = 250;
  var matrixShown = 0;
  function matrixRow(c, i) {
    var cells = [
      el("th", { scope: "row", text: c.name }),
      el("td", { "class": "n" }, [fmtInt(c.population),
        c.popsrc && c.popsrc !== "给定" ? el("span", { "class": "en", text: " " + c.popsrc }) : null]),
      el("td", {}, [el("span", { "class": "vb v-" + c.verdict, text: data.verdict[c.verdict] })]),
      el("td", { "class": "n", text: c.met + "/" + c.required })
    ];
    c.rows.forEach(function (r) {
      cells.push(el("td", { "class": "st st-" + r.st, title: data.status[r.st] }, [
        el("span", { "aria-hidden": "true", text: SYMBOL[r.st] }),
        el("span", { "class": "sr", text: data.status[r.st] }),
        r.d === null ? null : el("span", { "class": "d", text: Math.round(r.d).toString() }),
        r.sh === null || r.sh === undefined ? null : el("span", { "class": "sh", text: Math.round(100 * r.sh) + "%" })
      ]));
    });
    cells.push(el("td", {}, [el("button", { type: "button", "class": "show-c", "data-c": String(i), text: "查看" })]));
    return el("tr", {}, cells);
  }
  var moreBox = document.getElementById("matrix-more");
  function showMatrixRows(n) {
    var frag = document.createDocumentFragment();
    var end = Math.min(data.communities.length, matrixShown + n);
    for (var i = matrixShown; i < end; i++) { frag.appendChild(matrixRow(data.communities[i], i)); }
    matrixBody.appendChild(frag);
    matrixShown = end;
    if (moreBox) {
      moreBox.hidden = matrixShown >= data.communities.length;
      var count = document.getElementById("matrix-count");
      if (count) { count.textContent = "已显示 " + matrixShown + " / " + data.communities.length + " 个社区"; }
    }
  }
  if (matrixBody) {
    showMatrixRows(MATRIX_PAGE);
    var moreBtn = document.getElementById("matrix-more-btn");
    var allBtnM = document.getElementById("matrix-all-btn");
    if (moreBtn) { moreBtn.addEventListener("click", function () { showMatrixRows(MATRIX_PAGE); }); }
    if (allBtnM) { allBtnM.addEventListener("click", function () { showMatrixRows(data.communities.length); }); }
  }
  var matrixTable = document.querySelector("table.matrix");
  if (matrixTable) {
    matrixTable.addEventListener("click", function (e) {
      var b = e.target.closest(".show-c");
      if (!b) { return; }
      showCommunity(Number(b.getAttribute("data-c")));
      document.getElementById("map-section").scrollIntoView({ behavior: "smooth" });
    });
  }

  // ---------------------------------------------------------------- toggles
  Array.prototype.forEach.call(document.querySelectorAll(".kind-toggle"), function (box) {
    box.addEventListener("change", function () {
      var g = svg.querySelector('.fac-kind[data-kind="' + box.getAttribute("data-kind") + '"]');
      if (g) { g.style.display = box.checked ? "" : "none"; }
    });
  });
  function setAllKinds(on) {
    Array.prototype.forEach.call(document.querySelectorAll(".kind-toggle:not(:disabled)"), function (box) {
      box.checked = on;
      box.dispatchEvent(new Event("change"));
    });
  }
  var allBtn = document.getElementById("kinds-all");
  var noneBtn = document.getElementById("kinds-none");
  if (allBtn) { allBtn.addEventListener("click", function () { setAllKinds(true); }); }
  if (noneBtn) { noneBtn.addEventListener("click", function () { setAllKinds(false); }); }
  Array.prototype.forEach.call(document.querySelectorAll(".layer-toggle"), function (box) {
    box.addEventListener("change", function () {
      var g = document.getElementById(box.getAttribute("data-layer"));
      if (g) { g.style.display = box.checked ? "" : "none"; }
    });
  });

  // ---------------------------------------------------------------- colour communities by
  var STATUS_CLASS = { met: "complete", missing: "incomplete", no_data: "undetermined", not_audited: "undetermined" };
  var colourBy = document.getElementById("colour-by");
  function recolour() {
    var key = colourBy ? colourBy.value : "";
    Array.prototype.forEach.call(svg.querySelectorAll(".comm"), function (node) {
      var c = data.communities[Number(node.getAttribute("data-c"))];
      var cls = c.verdict, label = data.verdict[c.verdict];
      if (key) {
        var row = c.rows.filter(function (r) { return r.k === key; })[0];
        cls = STATUS_CLASS[row.st];
        label = kinds[key].zh + " " + data.status[row.st] + (row.d === null ? "" : "（" + row.dt + " 米）");
      }
      node.classList.remove("v-complete", "v-incomplete", "v-undetermined");
      node.classList.add("v-" + cls);
      node.setAttribute("aria-label", c.name + "：" + label);
      var title = node.querySelector("title");
      if (title) { title.textContent = c.name + "：" + label; }
    });
    svg.classList.toggle("focus-kind", !!key);
    var box = key ? document.querySelector('.kind-toggle[data-kind="' + key + '"]') : null;
    if (box && !box.checked && !box.disabled) {  // show the chosen kind's facilities
      box.checked = true;
      box.dispatchEvent(new Event("change"));
    }
    Array.prototype.forEach.call(svg.querySelectorAll(".fac-kind"), function (g) {
      g.classList.toggle("focus", g.getAttribute("data-kind") === key);
    });
    Array.prototype.forEach.call(document.querySelectorAll(".key-label"), function (n) {
      n.textContent = n.getAttribute(key ? "data-status" : "data-verdict");
    });
  }
  if (colourBy) { colourBy.addEventListener("change", recolour); }

  apply();
  declutter();
})();
