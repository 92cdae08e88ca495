"use strict";
// The rejections page: GET /v1/rejections?minutes=N every few seconds, counts with the
// claims and findings behind each.

let timer = null;
const $ = (id) => document.getElementById(id);

function claimList(claims) {
  return el("ul", { class: "findings" }, claims.map((c) =>
    el("li", { class: "finding line_rejection" },
      el("p", {}, el("strong", { class: "claim-id" }, c.claim_id), ` · payer ${c.payer_id} · NPI ${c.rendering_npi}`),
      el("ul", {}, c.findings.map((f) => el("li", {},
        el("strong", {}, f.edit_id), ` (lines ${f.line_numbers.join(", ") || "claim"}`,
        f.carc ? `, CARC ${f.carc}` : "", f.rarc ? `, RARC ${f.rarc}` : "", `): ${f.message}`))))));
}

function counts(groups, withClaims, id) {
  if (!groups.length) return el("p", {}, "none");
  return el("div", {}, groups.map((g) => withClaims
    ? el("details", { "data-key": g.key },
      el("summary", {}, el("span", { class: "count" }, g.count), " ", el("span", { class: "key" }, g.key)),
      claimList(g.claims))
    : el("p", { "data-key": g.key }, el("span", { class: "count" }, g.count), " ", el("span", { class: "key" }, g.key))));
}

async function refresh() {
  const token = $("token").value.trim();
  const minutes = Number($("minutes").value) || 60;
  const result = await callApi("/v1/rejections?minutes=" + encodeURIComponent(minutes), token, {});
  if (result.status !== 200) { $("status").textContent = problemText(result); return; }
  const view = result.body;
  $("status").textContent = `Last ${view.window_minutes} min (to ${view.to.slice(0, 19).replace("T", " ")} UTC): ${view.rejected} rejected claim(s), ${view.dead_letters} dead letter(s).`;
  const open = new Set([...document.querySelectorAll("details[open]")].map((d) => d.closest("section").getAttribute("aria-labelledby") + d.dataset.key));
  $("by-edit").replaceChildren(counts(view.by_edit, true));
  $("by-provider").replaceChildren(counts(view.by_provider, true));
  $("by-payer").replaceChildren(counts(view.by_payer, false));
  $("dead").replaceChildren(counts(view.dead_letter_kinds, false));
  for (const d of document.querySelectorAll("details")) if (open.has(d.closest("section").getAttribute("aria-labelledby") + d.dataset.key)) d.open = true;
}

function start() {
  rememberToken($("token"));
  $("watch-form").addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $("token").value.trim());
    clearInterval(timer);
    refresh();
    timer = setInterval(refresh, Math.max(2, Number($("refresh").value) || 10) * 1000);
  });
  document.body.dataset.ready = "true";
}

document.addEventListener("DOMContentLoaded", start);
