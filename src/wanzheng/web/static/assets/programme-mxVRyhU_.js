import"./modulepreload-polyfill-B5Qt9EMX.js";import{i as f,o as k,d as e,a as p,A as m,e as s,n as c,p as _}from"./common-oAHlLa0X.js";const l={doc:null,kinds:new Map,available:null};f();function d(t){return t==null?"–":`${c(t*100,1)}%`}function u(t){const a=l.kinds.get(t);return a?_(a.name_zh,a.name_en):t}function v(t){if(t.target===null)return`<span class="muted">${s(e("prog.target.none"))}</span>`;const a=t.target_met?`<span class="pill ok">${s(e("prog.target.met"))}</span>`:`<span class="pill bad">${s(e("prog.target.notmet"))}</span>`;return`${d(t.target)} ${a}`}function x(){const t=l.doc.summary;document.getElementById("period").textContent=e("prog.period",{first:t.first,last:t.last});const a=t.share_complete??0,n=t.target,i=`<div class="progress-bar" role="img" aria-label="${s(e("prog.share"))} ${d(a)}">
      <span class="fill" style="width:${Math.min(100,a*100)}%"></span>
      ${n===null?"":`<span class="mark" style="left:calc(${Math.min(100,n*100)}% - 1px)"></span>`}
    </div>`,r=(o,y,b="")=>`<div class="stat ${b}"><span class="v">${y}</span><span class="k">${s(o)}</span></div>`;document.getElementById("summary").innerHTML=`
    <div class="prog-stats">
      ${r(e("prog.communities"),c(t.communities))}
      ${r(e("prog.complete"),`${c(t.complete_first)} → ${c(t.complete_last)}`,"complete")}
      ${r(e("prog.share"),d(a))}
      ${r(e("prog.target",{year:t.year}),n===null?"–":d(n),t.target_met===!1?"incomplete":"complete")}
      ${r(e("prog.became"),c(t.became_complete),"complete")}
      ${r(e("prog.residents"),c(t.residents_newly_complete))}
      ${r(e("prog.late"),c(t.projects_late),t.projects_late?"incomplete":"")}
    </div>
    ${i}
    <p class="small">${n===null?s(e("prog.target.none")):`${s(e("prog.target",{year:t.year}))} ${d(n)} · ${t.target_met?`<span class="pill ok">${s(e("prog.target.met"))}</span>`:`<span class="pill bad">${s(e("prog.target.notmet"))}</span>`}`}</p>`}function g(t,{withDistrict:a}){const n=Math.max(1,...t.map(o=>o.index??0)),i=`<thead><tr>
    <th scope="col">${s(e("prog.rank"))}</th>
    <th scope="col">${s(e(a?"prog.subdistrict":"prog.district"))}</th>
    ${a?`<th scope="col" class="col-district">${s(e("prog.district"))}</th>`:""}
    <th scope="col" class="n">${s(e("prog.col.complete"))}</th>
    <th scope="col" class="n">${s(e("prog.col.share"))}</th>
    <th scope="col">${s(e("prog.col.target"))}</th>
    <th scope="col" title="${s(e("prog.index.hint"))}">${s(e("prog.col.index"))}</th></tr></thead>`,r=t.map(o=>`<tr>
      <td class="n">${c(o.rank)}</td>
      <th scope="row">${s(o.area)}</th>
      ${a?`<td class="col-district">${s(o.district??"")}</td>`:""}
      <td class="n">${c(o.complete)} / ${c(o.communities)}</td>
      <td class="n">${d(o.share_complete)}</td>
      <td>${v(o)}</td>
      <td class="n"><span class="bar" style="width:${Math.round(48*(o.index??0)/n)}px"></span>${c(o.index,1)}</td></tr>`).join("");return i+`<tbody>${r}</tbody>`}function $(t){return String(t||"").split(";").filter(Boolean).map(u).join("、")}function M(){const t=[...l.doc.changes].sort((a,n)=>Number(n.became_complete)-Number(a.became_complete));document.getElementById("changes").innerHTML=t.length?`<ul class="changes-list">${t.map(a=>`<li><b>${s(a.name||a.id)}</b>
            ${a.became_complete?`<span class="pill ok">${s(e("prog.became.pill"))}</span>`:""}
            ${a.kinds_closed?`<span class="small">${s(e("prog.closed",{kinds:$(a.kinds_closed)}))}</span>`:""}
            ${a.kinds_opened?`<span class="small error">${s(e("prog.opened",{kinds:$(a.kinds_opened)}))}</span>`:""}</li>`).join("")}</ul>`:`<p class="muted">${s(e("prog.changes.none"))}</p>`}function w(){const t=l.doc.late,a=new Map(l.doc.communities.map(n=>[n.id,n.name]));document.getElementById("late").innerHTML=t.length?`<table class="rank-table"><thead><tr>
        <th scope="col">${s(e("prog.col.community"))}</th><th scope="col">${s(e("prog.col.kind"))}</th>
        <th scope="col">${s(e("prog.col.stage"))}</th><th scope="col" class="n">${s(e("prog.col.days"))}</th></tr></thead><tbody>${t.map(n=>`<tr><th scope="row">${s(a.get(String(n.community_id))||n.community_id)}${n.site?`<br /><span class="small muted">${s(n.site)}</span>`:""}</th>
          <td>${s(u(n.kind))}</td>
          <td>${s(e(`stage.${n.stage}`))}<br /><span class="small muted">${s(e("prog.col.due",{stage:e(`stage.${n.late_stage}`)}))} ${s(n.due)}</span></td>
          <td class="n">${c(n.days_late)}</td></tr>`).join("")}</tbody></table>`:`<p class="muted">${s(e("prog.late.none"))}</p>`}function h(){x(),document.getElementById("districts").innerHTML=g(l.doc.districts,{withDistrict:!1}),document.getElementById("subdistricts").innerHTML=g(l.doc.subdistricts,{withDistrict:!0}),M(),w()}async function B(){try{if(l.available=await p("/api/plan/available"),!l.available.progress)throw new m(404,"no progress");l.doc=await p("/api/plan/progress")}catch(t){if(t instanceof m&&t.status===404){document.getElementById("noprogress").hidden=!1,document.body.dataset.ready="none";return}throw t}if(l.available.audit)for(const t of await p("/api/audit/kinds"))l.kinds.set(t.key,t);for(const t of["summary-card","districts-card","subdistricts-card","changes-card","late-card","index-note"])document.getElementById(t).hidden=!1;h(),document.body.dataset.ready="yes"}k(()=>{l.doc&&h()});B().catch(t=>{document.body.dataset.ready="error";const a=document.getElementById("noprogress");a.hidden=!1,a.textContent=`${e("common.error")}: ${t.message}`});
