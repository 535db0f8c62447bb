// The browser side of mnist_course.pad.DrawingPad (an anywidget module).
// It draws strokes on a canvas with pointer events (mouse, pen and touch alike) and, at the
// end of each stroke, sends all strokes to Python in the "strokes" trait. Python answers with
// "seen" (the 28x28 image the network saw), "probabilities" and "message", shown here.

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function render({ model, el }) {
  const size = model.get("size");
  el.classList.add("mnist-pad");

  // Left: the canvas and the Clear button.
  const canvas = element("canvas", "mnist-pad-canvas");
  canvas.width = canvas.height = size;
  canvas.setAttribute("aria-label", "Draw a digit here");
  const clearButton = element("button", "mnist-pad-clear", "Clear");
  const left = element("div", "mnist-pad-column");
  left.append(canvas, clearButton);

  // Middle: what the network sees, enlarged.
  const seen = element("canvas", "mnist-pad-seen");
  seen.width = seen.height = 28;
  const middle = element("div", "mnist-pad-column");
  const answer = element("div", "mnist-pad-answer", "–");
  middle.append(element("div", "mnist-pad-caption", "The network sees"), seen, answer);

  // Right: one bar per digit.
  const bars = element("div", "mnist-pad-bars");
  const rows = [];
  for (let digit = 0; digit < 10; digit++) {
    const row = element("div", "mnist-pad-bar-row");
    const fill = element("div", "mnist-pad-bar-fill");
    const track = element("div", "mnist-pad-bar-track");
    track.append(fill);
    const value = element("span", "mnist-pad-bar-value", "");
    row.append(element("span", "mnist-pad-bar-digit", String(digit)), track, value);
    bars.append(row);
    rows.push({ row, fill, value });
  }
  const right = element("div", "mnist-pad-column");
  right.append(element("div", "mnist-pad-caption", "Probability of each digit"), bars);

  // Below: the message, and buttons that keep the drawing with its label.
  const message = element("div", "mnist-pad-message");
  message.setAttribute("role", "status");
  const keep = element("div", "mnist-pad-keep");
  keep.append(element("span", "", "Keep this drawing as: "));
  for (let digit = 0; digit < 10; digit++) {
    const button = element("button", "mnist-pad-keep-button", String(digit));
    button.title = `Keep this drawing, labelled ${digit}, and clear the pad`;
    button.addEventListener("click", () => model.send({ action: "keep", label: digit }));
    keep.append(button);
  }
  const forget = element("button", "mnist-pad-forget", "Forget last");
  forget.addEventListener("click", () => model.send({ action: "forget" }));
  keep.append(forget);
  const kept = element("div", "mnist-pad-kept");

  const top = element("div", "mnist-pad-row");
  top.append(left, middle, right);
  el.append(top, message, keep, kept);

  // Drawing. `current` is the stroke being drawn, null between strokes.
  const pen = canvas.getContext("2d");
  let current = null;

  function paint() {
    pen.fillStyle = "#fff";
    pen.fillRect(0, 0, size, size);
    pen.strokeStyle = pen.fillStyle = "#111";
    pen.lineWidth = model.get("pen_width");
    pen.lineCap = pen.lineJoin = "round";
    const strokes = current ? [...model.get("strokes"), current] : model.get("strokes");
    for (const stroke of strokes) {
      if (stroke.length === 1) {  // a dot
        pen.beginPath();
        pen.arc(stroke[0][0], stroke[0][1], pen.lineWidth / 2, 0, 2 * Math.PI);
        pen.fill();
        continue;
      }
      pen.beginPath();
      stroke.forEach(([x, y], i) => (i === 0 ? pen.moveTo(x, y) : pen.lineTo(x, y)));
      pen.stroke();
    }
  }

  function point(event) {  // canvas pixels, whatever size the page shows the canvas at
    const box = canvas.getBoundingClientRect();
    const x = ((event.clientX - box.left) * size) / box.width;
    const y = ((event.clientY - box.top) * size) / box.height;
    return [Math.round(x * 10) / 10, Math.round(y * 10) / 10];
  }

  canvas.addEventListener("pointerdown", (event) => {
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);
    current = [point(event)];
    paint();
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!current) return;
    current.push(point(event));
    paint();
  });
  function endStroke() {
    if (!current) return;  // Clear was pressed during the stroke: it is gone
    const stroke = current;
    current = null;
    model.set("strokes", [...model.get("strokes"), stroke]);
    model.save_changes();
  }
  canvas.addEventListener("pointerup", endStroke);
  canvas.addEventListener("pointercancel", endStroke);

  clearButton.addEventListener("click", () => {
    current = null;
    model.set("strokes", []);
    model.save_changes();
    paint();
  });

  // What Python sends back.
  function showSeen() {
    const pixels = model.get("seen");
    const picture = seen.getContext("2d").createImageData(28, 28);
    for (let i = 0; i < 28 * 28; i++) {
      const level = pixels.length === 28 * 28 ? pixels[i] : 0;
      picture.data.set([level, level, level, 255], 4 * i);
    }
    seen.getContext("2d").putImageData(picture, 0, 0);
  }

  function showProbabilities() {
    const probabilities = model.get("probabilities");
    const top = probabilities.length ? probabilities.indexOf(Math.max(...probabilities)) : -1;
    rows.forEach(({ row, fill, value }, digit) => {
      const p = probabilities.length ? probabilities[digit] : 0;
      fill.style.width = `${(100 * p).toFixed(1)}%`;
      value.textContent = probabilities.length ? `${Math.round(100 * p)}%` : "";
      row.classList.toggle("mnist-pad-top", digit === top);
    });
    answer.textContent = top >= 0 ? `It reads: ${top}` : "–";
  }

  function showKept() {
    const counts = model.get("kept_counts");
    const total = counts.reduce((a, b) => a + b, 0);
    const drawn = counts.map((n, digit) => `${digit} ×${n}`).filter((text, digit) => counts[digit] > 0);
    kept.textContent = total
      ? `Kept ${total} drawing${total === 1 ? "" : "s"}: ${drawn.join(", ")}.`
      : "No drawing kept yet.";
  }

  const showMessage = () => (message.textContent = model.get("message"));

  model.on("change:strokes", paint);
  model.on("change:seen", showSeen);
  model.on("change:probabilities", showProbabilities);
  model.on("change:message", showMessage);
  model.on("change:kept_counts", showKept);
  paint();
  showSeen();
  showProbabilities();
  showMessage();
  showKept();

  return () => {  // the view is removed: stop listening
    model.off("change:strokes", paint);
    model.off("change:seen", showSeen);
    model.off("change:probabilities", showProbabilities);
    model.off("change:message", showMessage);
    model.off("change:kept_counts", showKept);
  };
}

export default { render };
