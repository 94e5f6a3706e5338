// gankit explorer: plain JavaScript, no build step. Talks to the JSON / PNG API under /api/.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { runs: [], run: null, curves: {} };
const NOISE_KINDS = ["unconditional", "class", "multi-label", "points"];
const COLOURS = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf"];

// ------------------------------------------------------------------ talking to the API

function showError(message) {
  $("error").textContent = message;
  $("error").hidden = false;
}

function clearError() {
  $("error").textContent = "";
  $("error").hidden = true;
}

// Fetch url; an error answer's {"error": ...} text is thrown as an Error.
async function request(url, options) {
  let response;
  try {
    response = await fetch(url, options);
  } catch (err) {
    throw new Error("the explorer cannot be reached (" + err.message + "); is it still running?");
  }
  if (!response.ok) {
    let message = response.status + " " + response.statusText;
    try {
      message = (await response.json()).error || message;
    } catch (ignored) { /* not JSON: keep the status line */ }
    throw new Error(message);
  }
  return response;
}

// Show the PNG answer of url in <img id=target>.
async function showPicture(target, url, options) {
  const response = await request(url, options);
  const img = $(target);
  if (img.src.startsWith("blob:")) URL.revokeObjectURL(img.src);
  img.src = URL.createObjectURL(await response.blob());
  img.hidden = false;
  return response;
}

// Run an action behind a button: clear the error, show a failure's text.
async function act(button, action) {
  clearError();
  if (button) button.disabled = true;
  try {
    await action();
  } catch (err) {
    showError(err.message);
  } finally {
    if (button) button.disabled = false;
  }
}

function randomSeed() {
  return crypto.getRandomValues(new Uint32Array(1))[0];
}

// The query string of the current run and checkpoint plus extra parameters.
function query(extra) {
  const params = new URLSearchParams({ run: state.run.id, checkpoint: $("checkpoint").value });
  for (const [key, value] of Object.entries(extra || {})) params.set(key, value);
  return params.toString();
}

// The condition parameters the controls ask for (none for unconditional runs).
function conditionParams() {
  const run = state.run;
  if (run.max_objects > 0) {
    const text = $("objects").value.trim();
    return text ? { objects: text } : {};
  }
  if (run.num_classes > 0) return { class: $("class").value };
  return {};
}

// ------------------------------------------------------------------ choosing a run

function option(value, text) {
  const element = document.createElement("option");
  element.value = value;
  element.textContent = text;
  return element;
}

function fill(select, items) {
  select.replaceChildren(...items.map(([value, text]) => option(value, text)));
}

function setRun(id) {
  const run = state.runs.find((r) => r.id === id);
  state.run = run;
  clearError();
  fill($("checkpoint"), run.checkpoints.map((c) => [c.name, c.step === null ? c.name
    : c.name + " (step " + c.step + ")"]));
  $("checkpoint").value = run.checkpoint;
  $("run-kind").textContent = run.kind + (run.z_dim ? ", z_dim " + run.z_dim : "");

  const translating = run.kind === "image-to-image" || run.kind === "cycle";
  const multi = run.max_objects > 0;
  $("condition-panel").hidden = run.num_classes === 0;
  $("class-controls").hidden = run.num_classes === 0 || multi;
  $("object-controls").hidden = !multi;
  const names = run.classes.length ? run.classes
    : Array.from({ length: run.num_classes }, (_, i) => String(i));
  fill($("class"), names.map((name) => [name, name]));
  $("objects").value = "";
  $("object-limit").textContent = multi ? "1 to " + run.max_objects + " objects" : "";
  makeChips(multi ? names : []);

  $("sample-panel").hidden = !NOISE_KINDS.includes(run.kind);
  $("interp-panel").hidden = translating || run.kind === "points" || run.z_dim === 0;
  $("translate-panel").hidden = !translating;
  fill($("n"), [1, 4, 9, 16, 25, 36, 49, 64, 100, 144, 256]
    .filter((n) => n <= run.max_n).map((n) => [n, n]));
  $("n").value = String(Math.min(16, run.max_n));
  $("frames").max = run.max_frames;
  $("interp-note").textContent = run.interpolation + " between the two seeds' latent codes";
  $("direction-controls").hidden = run.kind !== "cycle";
  $("direction").value = "AtoB";
  for (const id of ["grid", "strip", "translation"]) $(id).hidden = true;
  $("seed").textContent = "";
  if (translating) act(null, loadExamples);
}

// ------------------------------------------------------------------ objects as chips

function typedObjects() {
  return $("objects").value.split(",").map((s) => s.trim()).filter((s) => s);
}

function makeChips(names) {
  const chips = names.map((name) => {
    const chip = document.createElement("button");
    chip.type = "button";
    chip.className = "chip";
    chip.dataset.name = name;
    chip.textContent = name;
    chip.addEventListener("click", () => toggleObject(name));
    return chip;
  });
  $("object-chips").replaceChildren(...chips);
}

function toggleObject(name) {
  clearError();
  let names = typedObjects();
  if (names.includes(name)) {
    names = names.filter((n) => n !== name);
  } else if (names.length >= state.run.max_objects) {
    showError("a scene holds at most " + state.run.max_objects + " objects; unselect one first");
    return;
  } else {
    names.push(name);
  }
  $("objects").value = names.join(", ");
  markChips();
}

function markChips() {
  const names = typedObjects();
  for (const chip of $("object-chips").children) {
    chip.classList.toggle("selected", names.includes(chip.dataset.name));
  }
}

// ------------------------------------------------------------------ drawing

async function draw() {
  const seed = randomSeed();
  await showPicture("grid", "/api/sample?" + query({ n: $("n").value, seed, ...conditionParams() }));
  $("seed").textContent = "seed " + seed;
}

async function interpolate() {
  for (const id of ["seed-a", "seed-b"]) if (!$(id).value) $(id).value = randomSeed();
  await showPicture("strip", "/api/interpolate?" + query({
    seed_a: $("seed-a").value, seed_b: $("seed-b").value, frames: $("frames").value,
    ...conditionParams(),
  }));
}

function translateParams(extra) {
  const direction = state.run.kind === "cycle" ? { direction: $("direction").value } : {};
  return query({ ...direction, ...conditionParams(), ...extra });
}

async function translateUpload() {
  const file = $("upload").files[0];
  if (!file) return;
  const form = new FormData();
  form.append("image", file);
  await showPicture("translation", "/api/translate?" + translateParams(),
    { method: "POST", body: form });
}

async function loadExamples() {
  const run = state.run;
  const direction = run.kind === "cycle" ? $("direction").value : "AtoB";
  $("examples").replaceChildren();
  const params = new URLSearchParams({ run: run.id, direction });
  const { count } = await (await request("/api/examples?" + params)).json();
  const buttons = [];
  for (let index = 0; index < count; index++) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "example";
    button.dataset.index = index;
    const img = document.createElement("img");
    img.alt = "example sketch " + index;
    img.src = "/api/example?" + params + "&index=" + index;
    button.append(img);
    button.addEventListener("click", () => act(button, () => showPicture("translation",
      "/api/translate?" + translateParams({ example: index, seed: randomSeed() }))));
    buttons.push(button);
  }
  $("examples").replaceChildren(...buttons);
}

// ------------------------------------------------------------------ curves

function curveRuns() {
  return state.runs.filter((run) => run.has_curves && $("curve-" + run.id).checked);
}

async function updateCurves() {
  for (const run of curveRuns()) {
    if (!state.curves[run.id]) {
      state.curves[run.id] = (await (await request("/api/curves?run=" + run.id)).json()).series;
    }
  }
  const keys = new Set();
  for (const run of curveRuns()) Object.keys(state.curves[run.id]).forEach((k) => keys.add(k));
  const metric = $("curve-metric");
  const previous = metric.value;
  fill(metric, [...keys].sort().map((k) => [k, k]));
  if (keys.has(previous)) metric.value = previous;
  else if (keys.has("loss_g")) metric.value = "loss_g";
  drawCurves();
}

function svgElement(name, attributes) {
  const element = document.createElementNS("http://www.w3.org/2000/svg", name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, value);
  return element;
}

function drawCurves() {
  const key = $("curve-metric").value;
  const lines = curveRuns().map((run, i) => ({ run, colour: COLOURS[i % COLOURS.length],
    points: (state.curves[run.id] || {})[key] || [] })).filter((line) => line.points.length);
  const box = $("curves");
  if (!lines.length) {
    box.textContent = key ? "no " + key + " logged by the chosen runs" : "no curves to show";
    return;
  }
  const all = lines.flatMap((line) => line.points);
  const [x0, x1] = [Math.min(...all.map((p) => p[0])), Math.max(...all.map((p) => p[0]))];
  const [y0, y1] = [Math.min(...all.map((p) => p[1])), Math.max(...all.map((p) => p[1]))];
  const W = 640, H = 280, L = 60, R = 150, T = 10, B = 30;
  const sx = (x) => L + (x1 > x0 ? (x - x0) / (x1 - x0) : 0.5) * (W - L - R);
  const sy = (y) => H - B - (y1 > y0 ? (y - y0) / (y1 - y0) : 0.5) * (H - T - B);
  const svg = svgElement("svg", { width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: "img" });
  svg.append(svgElement("rect", { x: L, y: T, width: W - L - R, height: H - T - B,
    class: "frame" }));
  const label = (x, y, text, anchor) => {
    const t = svgElement("text", { x, y, "text-anchor": anchor || "start" });
    t.textContent = text;
    svg.append(t);
  };
  label(L - 4, T + 10, y1.toPrecision(4), "end");
  label(L - 4, H - B, y0.toPrecision(4), "end");
  label(L, H - 8, "step " + x0);
  label(W - R, H - 8, "step " + x1, "end");
  lines.forEach((line, i) => {
    const points = line.points.map((p) => sx(p[0]).toFixed(1) + "," + sy(p[1]).toFixed(1));
    svg.append(svgElement("polyline", { points: points.join(" "), stroke: line.colour,
      fill: "none", "stroke-width": 1.5, "data-run": line.run.id }));
    if (line.points.length === 1) {
      svg.append(svgElement("circle", { cx: sx(line.points[0][0]), cy: sy(line.points[0][1]),
        r: 3, fill: line.colour }));
    }
    svg.append(svgElement("rect", { x: W - R + 10, y: T + 4 + 16 * i, width: 10, height: 10,
      fill: line.colour }));
    label(W - R + 24, T + 13 + 16 * i, line.run.name);
  });
  box.replaceChildren(svg);
}

function makeCurveChoices() {
  const items = state.runs.filter((run) => run.has_curves).map((run, i) => {
    const box = document.createElement("input");
    box.type = "checkbox";
    box.id = "curve-" + run.id;
    box.checked = i === 0;
    box.addEventListener("change", () => act(null, updateCurves));
    const label = document.createElement("label");
    label.append(box, " " + run.name);
    return label;
  });
  $("curve-runs").replaceChildren(...items);
  $("curves-panel").hidden = !items.length;
}

// ------------------------------------------------------------------ start

async function start() {
  state.runs = (await (await request("/api/runs")).json()).runs;
  fill($("run"), state.runs.map((run) => [run.id, run.name + " (" + run.kind + ")"]));
  $("run").addEventListener("change", () => setRun($("run").value));
  $("checkpoint").addEventListener("change", clearError);
  $("objects").addEventListener("input", markChips);
  $("objects").addEventListener("keydown", (event) => {
    if (event.key === "Enter") $("draw").click();
  });
  $("draw").addEventListener("click", () => act($("draw"), draw));
  $("interpolate").addEventListener("click", () => act($("interpolate"), interpolate));
  $("upload").addEventListener("change", () => act(null, translateUpload));
  $("direction").addEventListener("change", () => act(null, loadExamples));
  $("curve-metric").addEventListener("change", drawCurves);
  makeCurveChoices();
  if (state.runs.length) setRun(state.runs[0].id);
  document.body.dataset.ready = "true";
  await updateCurves();
}

act(null, start);
