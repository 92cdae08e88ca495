"use strict";
// The edits checker: a sample or a hand-written claim → POST /v1/claims:check → the
// findings on their lines, the corrected lines and the prices.

const TREATMENTS = ["balloon", "stent", "drug_eluting_stent", "atherectomy", "lithotripsy",
  "thrombectomy_mechanical", "thrombectomy_aspiration", "drug_coated_balloon"];
const BLANK = {
  event_id: "checker-1", event_type: "claim.submitted", schema_version: 1,
  occurred_at: new Date().toISOString(),
  claim: {
    claim_id: "CHECK-1", frequency: "original", payer: { payer_id: "PAYER-MEDICARE", kind: "medicare" },
    setting: "professional", place_of_service: "22", billing_provider: { npi: "1234567893" },
    rendering_provider: { npi: "1234567893", qualifying_apm_participant: false },
    patient: { member_id: "M-000000", birth_date: "1950-01-01", sex: "F" },
    diagnoses: ["I25.10"],
    lines: [{ line_number: 1, procedure_code: "92920", modifiers: ["LD"], units: 1, charge: "1000.00",
      service_date: new Date().toISOString().slice(0, 10), diagnosis_pointers: [1] }],
    procedure: { dominance: "right", prior_diagnostic_study: "available", lesions: [] },
  },
};

let samples = [];
let base = structuredClone(BLANK);
const $ = (id) => document.getElementById(id);
const list = (text) => text.split(",").map((s) => s.trim()).filter(Boolean);

function cell(label, input) {
  input.setAttribute("aria-label", label);
  return el("td", {}, input);
}

function lineRow(line) {
  const row = el("tr", { class: "line" });
  const n = line.line_number;
  row.append(
    cell("Line number", el("input", { class: "line_number", type: "number", min: 1, value: n, size: 3 })),
    cell(`Line ${n} procedure code`, el("input", { class: "procedure_code", value: line.procedure_code || "", size: 6 })),
    cell(`Line ${n} modifiers`, el("input", { class: "modifiers", value: (line.modifiers || []).join(", "), size: 8 })),
    cell(`Line ${n} units`, el("input", { class: "units", type: "number", min: 1, value: line.units || 1, size: 3 })),
    cell(`Line ${n} charge`, el("input", { class: "charge", value: line.charge || "", size: 8 })),
    cell(`Line ${n} service date`, el("input", { class: "service_date", type: "date", value: line.service_date || "" })),
    cell(`Line ${n} diagnosis pointers`, el("input", { class: "diagnosis_pointers", value: (line.diagnosis_pointers || [1]).join(", "), size: 4 })),
    el("td", {}, removeButton(`Remove line ${n}`, row)),
  );
  return row;
}

function lesionRow(lesion) {
  const row = el("tr", { class: "lesion" });
  const id = lesion.lesion_id || "";
  const calcification = el("select", { class: "calcification" },
    ["none", "mild", "moderate", "severe"].map((v) => el("option", { value: v, selected: v === (lesion.calcification || "none") }, v)));
  const box = (name, label) => cell(`Lesion ${id} ${label}`, el("input", { class: name, type: "checkbox", checked: Boolean(lesion[name]) }));
  row.append(
    cell("Lesion id", el("input", { class: "lesion_id", value: id, size: 4 })),
    cell(`Lesion ${id} line number`, el("input", { class: "line_number", type: "number", value: lesion.line_number ?? "", size: 3 })),
    cell(`Lesion ${id} segments`, el("input", { class: "segments", value: (lesion.segments || []).join(", "), size: 8 })),
    cell(`Lesion ${id} treatments`, el("input", { class: "treatments", value: (lesion.treatments || []).join(", "), size: 22, list: "treatment-names" })),
    cell(`Lesion ${id} calcification`, calcification),
    box("cto", "chronic total occlusion"), box("via_graft", "via graft"), box("bifurcation", "bifurcation"),
    el("td", {}, removeButton(`Remove lesion ${id}`, row)),
  );
  row.dataset.original = JSON.stringify(lesion);
  return row;
}

function removeButton(label, row) {
  const button = el("button", { type: "button", class: "remove", "aria-label": label }, "Remove");
  button.addEventListener("click", () => {
    const next = row.nextElementSibling || row.previousElementSibling;
    row.remove();
    (next ? next.querySelector("input") : $("add-line")).focus();
  });
  return button;
}

function fill(event) {
  base = structuredClone(event);
  const claim = event.claim;
  $("claim_id").value = claim.claim_id;
  $("frequency").value = claim.frequency;
  $("payer_id").value = claim.payer.payer_id;
  $("payer_kind").value = claim.payer.kind;
  $("setting").value = claim.setting;
  $("place_of_service").value = claim.place_of_service || "";
  $("rendering_npi").value = claim.rendering_provider.npi;
  $("facility_zip").value = (claim.service_facility && claim.service_facility.zip) || "";
  $("diagnoses").value = claim.diagnoses.join(", ");
  $("lines").replaceChildren(...claim.lines.map(lineRow));
  const lesions = (claim.procedure && claim.procedure.lesions) || [];
  $("lesions").replaceChildren(...lesions.map(lesionRow));
}

function value(row, name) { return row.querySelector("." + name).value.trim(); }

function eventFromForm() {
  const event = structuredClone(base);
  const claim = event.claim;
  claim.claim_id = $("claim_id").value.trim();
  claim.frequency = $("frequency").value;
  claim.payer = { ...claim.payer, payer_id: $("payer_id").value.trim(), kind: $("payer_kind").value };
  claim.setting = $("setting").value;
  claim.place_of_service = $("place_of_service").value.trim() || null;
  claim.rendering_provider = { ...claim.rendering_provider, npi: $("rendering_npi").value.trim() };
  const zip = $("facility_zip").value.trim();
  claim.service_facility = zip ? { ...(claim.service_facility || {}), zip } : null;
  claim.diagnoses = list($("diagnoses").value);
  claim.lines = [...$("lines").querySelectorAll("tr")].map((row) => {
    const number = Number(value(row, "line_number"));
    const before = base.claim.lines.find((l) => l.line_number === number) || {};
    return {
      ...before,
      line_number: number,
      procedure_code: value(row, "procedure_code"),
      modifiers: list(value(row, "modifiers")),
      units: Number(value(row, "units")),
      charge: value(row, "charge"),
      service_date: value(row, "service_date"),
      diagnosis_pointers: list(value(row, "diagnosis_pointers")).map(Number),
    };
  });
  const lesions = [...$("lesions").querySelectorAll("tr")].map((row) => {
    const line = value(row, "line_number");
    return {
      ...JSON.parse(row.dataset.original || "{}"),
      lesion_id: value(row, "lesion_id"),
      line_number: line === "" ? null : Number(line),
      segments: list(value(row, "segments")),
      treatments: list(value(row, "treatments")),
      calcification: row.querySelector(".calcification").value,
      cto: row.querySelector(".cto").checked,
      via_graft: row.querySelector(".via_graft").checked,
      bifurcation: row.querySelector(".bifurcation").checked,
    };
  });
  if (claim.procedure || lesions.length) claim.procedure = { ...(claim.procedure || {}), lesions };
  return event;
}

function findingItem(finding) {
  const codes = [finding.group_code, finding.carc && "CARC " + finding.carc, finding.rarc && "RARC " + finding.rarc]
    .filter(Boolean).join(" · ");
  return el("li", { class: "finding " + finding.disposition, "data-edit-id": finding.edit_id },
    el("p", { class: "finding-head" },
      el("strong", { class: "rule" }, finding.edit_id), " ",
      el("span", { class: "disposition" }, finding.disposition.replaceAll("_", " ")),
      codes ? el("span", { class: "codes" }, codes) : null),
    el("p", {}, finding.message),
    finding.fix ? el("p", { class: "fix" }, el("strong", {}, "Fix: "), finding.fix) : null,
    el("dl", {},
      el("dt", {}, "Citation"), el("dd", {}, finding.citation),
      el("dt", {}, "X12"), el("dd", {}, el("code", {}, finding.x12_path))));
}

function changeText(change) {
  const snap = (s) => (s ? `${s.procedure_code}${s.modifiers.length ? "-" + s.modifiers.join("-") : ""} × ${s.units}` : "—");
  return `line ${change.line_number}: ${change.action} ${snap(change.before)} → ${snap(change.after)} (${change.edit_id}: ${change.reason})`;
}

function render(outcome, submitted) {
  $("result").hidden = false;
  $("raw").textContent = JSON.stringify(outcome, null, 2);
  const findings = outcome.findings || [];
  const changes = outcome.changes || outcome.proposed_changes || [];
  if (outcome.event_type === "claim.dead_letter") {
    $("status").textContent = "Not a readable claim (dead letter, " + outcome.error_kind + ")";
    $("claim-findings").replaceChildren(el("ul", { class: "findings" },
      outcome.errors.map((e) => el("li", { class: "finding claim_rejection" }, el("code", {}, e.loc), ": ", e.msg))));
    for (const id of ["line-results", "corrected", "prices"]) $(id).replaceChildren();
    return;
  }
  const pricing = outcome.pricing;
  const verdict = outcome.event_type === "claim.enriched" ? "Accepted" : "Rejected";
  $("status").textContent = `${verdict}: ${outcome.claim_id} · ${findings.length} finding(s) · ruleset ${outcome.ruleset.version || "none"}` +
    (pricing && pricing.total_allowed ? ` · total allowed $${pricing.total_allowed}` : "");
  $("status").className = outcome.event_type === "claim.enriched" ? "accepted" : "rejected";
  const claimLevel = findings.filter((f) => f.line_numbers.length === 0);
  $("claim-findings").replaceChildren(claimLevel.length
    ? el("section", { class: "line-result", "data-line": "claim" }, el("h4", {}, "The claim"),
      el("ul", { class: "findings" }, claimLevel.map(findingItem)))
    : "");
  $("line-results").replaceChildren(...submitted.claim.lines.map((line) => {
    const mine = findings.filter((f) => f.line_numbers.includes(line.line_number));
    return el("section", { class: "line-result", "data-line": line.line_number },
      el("h4", {}, `Line ${line.line_number}: ${line.procedure_code}${line.modifiers.length ? "-" + line.modifiers.join("-") : ""} × ${line.units}`),
      mine.length ? el("ul", { class: "findings" }, mine.map(findingItem)) : el("p", { class: "clean" }, "No finding."));
  }));
  const corrected = outcome.event_type === "claim.enriched" ? outcome.claim.lines : null;
  $("corrected").replaceChildren(
    corrected
      ? table(["#", "Code", "Modifiers", "Units", "Charge"], corrected.map((l) => [l.line_number, l.procedure_code, l.modifiers.join(", "), l.units, l.charge]), "corrected-lines")
      : el("p", {}, changes.length
        ? "Rejected: nothing corrected. The changes the edits propose:"
        : "Rejected: nothing corrected, and no change proposed."),
    changes.length ? el("ul", { class: "changes" }, changes.map((c) => el("li", {}, changeText(c))))
      : corrected ? el("p", {}, "No change.") : null);
  if (!pricing) {
    $("prices").replaceChildren(el("p", {}, "Not priced (a rejected claim or a void)."));
    return;
  }
  const locality = pricing.locality;
  $("prices").replaceChildren(
    el("p", {}, locality
      ? `Locality: ${locality.name} (carrier ${locality.carrier}, locality ${locality.locality}, ZIP ${locality.zip}; ${locality.source})`
      : "Locality: none (national amounts)"),
    table(["#", "Code", "Method", "Allowed", "Payable", "Confidence", "Source"],
      pricing.lines.map((l) => [l.line_number, l.procedure_code, l.method, l.allowed ?? "missing", l.payable ?? "missing", l.confidence ?? "", l.note ? `${l.source ?? ""} (${l.note})` : l.source ?? "missing"]), "price-lines"),
    el("ul", { class: "notes" }, pricing.notes.map((n) => el("li", {}, n))));
}

function table(headings, rows, id) {
  return el("table", { class: "result-table", id },
    el("thead", {}, el("tr", {}, headings.map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, rows.map((r) => el("tr", {}, r.map((c) => el("td", {}, c))))));
}

async function submit(event) {
  event.preventDefault();
  const token = $("token").value.trim();
  if (!token) { $("token").focus(); return; }
  sessionStorage.setItem(TOKEN_KEY, token);
  const submitted = eventFromForm();
  $("check").disabled = true;
  $("status").textContent = "Checking…";
  try {
    const result = await callApi("/v1/claims:check", token, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(submitted),
    });
    if (result.status === 200 || (result.status === 422 && result.body && result.body.event_type)) render(result.body, submitted);
    else { $("result").hidden = false; $("status").textContent = problemText(result); }
  } catch (error) {
    $("result").hidden = false;
    $("status").textContent = "The API did not answer: " + error.message;
  } finally {
    $("check").disabled = false;
    $("result").focus();
  }
}

async function start() {
  rememberToken($("token"));
  document.body.append(el("datalist", { id: "treatment-names" }, TREATMENTS.map((t) => el("option", { value: t }))));
  const response = await fetch("/samples.json");
  samples = await response.json();
  $("sample").append(...samples.map((s, i) => el("option", { value: i }, s.name)));
  $("load-sample").addEventListener("click", () => {
    const chosen = samples[Number($("sample").value)];
    fill(chosen ? chosen.event : BLANK);
    $("sample-note").textContent = chosen ? chosen.note : "A new claim: edit the fields.";
  });
  $("add-line").addEventListener("click", () => {
    const numbers = [...$("lines").querySelectorAll(".line_number")].map((i) => Number(i.value));
    const row = lineRow({ line_number: Math.max(0, ...numbers) + 1, units: 1, diagnosis_pointers: [1], modifiers: [] });
    $("lines").append(row);
    row.querySelector(".procedure_code").focus();
  });
  $("add-lesion").addEventListener("click", () => {
    const row = lesionRow({ lesion_id: "L" + ($("lesions").children.length + 1) });
    $("lesions").append(row);
    row.querySelector(".segments").focus();
  });
  $("claim-form").addEventListener("submit", submit);
  fill(BLANK);
  document.body.dataset.ready = "true";
}

document.addEventListener("DOMContentLoaded", start);
