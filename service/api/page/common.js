"use strict";
// Shared by the pages: the token (this tab only), API calls, and DOM building without
// innerHTML (text from a claim is never read as markup).

const TOKEN_KEY = "claim-edit-token";

function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "text") node.textContent = String(value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function rememberToken(input) {
  input.value = sessionStorage.getItem(TOKEN_KEY) || "";
  input.addEventListener("change", () => sessionStorage.setItem(TOKEN_KEY, input.value.trim()));
}

async function callApi(path, token, options) {
  const response = await fetch(path, {
    ...options,
    headers: { ...(options && options.headers), Authorization: "Bearer " + token },
  });
  const text = await response.text();
  let body = null;
  try { body = JSON.parse(text); } catch (_) { body = null; }
  return { status: response.status, body, text };
}

function problemText(result) {
  if (result.status === 401) return "The API refused the token (401): check the token.";
  if (result.status === 413) return "The claim is larger than the service accepts (413).";
  if (result.status === 429) return "Too many requests for this token (429): wait a moment.";
  const detail = result.body && result.body.detail ? ": " + JSON.stringify(result.body.detail) : "";
  return "The API answered " + result.status + detail;
}
