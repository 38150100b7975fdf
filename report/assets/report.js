// The report page: builds every section from the embedded data with Chart.js.
// It records what it rendered on <body> (data-charts-expected, data-charts-rendered,
// data-errors, data-blocked, data-overlaps: boxes laid side by side that overlap)
// for the end-to-end test in headless Chromium.
(function () {
  'use strict';
  const errors = [];
  const blocked = [];
  window.addEventListener('error', e => errors.push(String(e.message || e)));
  document.addEventListener('securitypolicyviolation', e => blocked.push(e.blockedURI || e.violatedDirective));
  const data = JSON.parse(document.getElementById('mexa-data').textContent);
  const main = document.getElementById('main');
  const palette = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];
  const color = i => palette[i % palette.length];
  const charts = [];
  let expected = 0;
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return e;
  }
  const fmt = (v, d = 3) => (v === null || v === undefined || Number.isNaN(v)) ? '–' : Number(v).toFixed(d);
  function chart(parent, config, tall) {
    expected += 1;
    const box = el('div', { class: 'chart' + (tall ? ' tall' : '') });
    const canvas = el('canvas');
    box.append(canvas);
    parent.append(box);
    try {
      const c = new Chart(canvas, config);
      charts.push(c);
      return c;
    } catch (e) {
      errors.push('chart: ' + e.message);
      return null;
    }
  }
  function title(text) { return { display: true, text: text }; }
  function table(headers, rows, textColumns = 1) {
    const t = el('table');
    t.append(el('tr', {}, ...headers.map((h, i) => el('th', { class: i < textColumns ? 'text' : '' }, h))));
    for (const r of rows) t.append(el('tr', {}, ...r.map((v, i) => el('td', { class: i < textColumns ? 'text' : '' }, v))));
    return t;
  }
  function confusion(classes, matrix, normalise) {
    const t = el('table', { class: 'cm' });
    t.append(el('tr', {}, el('th', { class: 'text' }, 'true \\ predicted'), ...classes.map(c => el('th', {}, c))));
    matrix.forEach((row, i) => {
      const total = row.reduce((a, b) => a + b, 0);
      const cells = row.map(v => {
        const share = total > 0 ? v / total : 0;
        const td = el('td', {}, normalise ? fmt(share, 2) : v);
        td.style.background = `rgba(78, 121, 167, ${(0.85 * share).toFixed(3)})`;
        if (share > 0.55) td.style.color = '#fff';
        return td;
      });
      t.append(el('tr', {}, el('th', { class: 'text' }, classes[i]), ...cells));
    });
    return t;
  }
  function bars(parent, labels, datasets, text, options = {}) {
    return chart(parent, { type: 'bar', data: { labels, datasets },
      options: Object.assign({ plugins: { title: title(text) } }, options) });
  }
  function lines(parent, datasets, text, yText, xText = 'epoch') {
    return chart(parent, { type: 'line', data: { datasets },
      options: { parsing: false, plugins: { title: title(text) }, interaction: { mode: 'nearest', intersect: false },
        scales: { x: { type: 'linear', ticks: { precision: 0 }, title: { display: true, text: xText } }, y: { title: { display: true, text: yText } } } } });
  }
  const points = (xs, ys) => xs.map((x, i) => ({ x, y: ys[i] })).filter(p => p.y !== null && p.y !== undefined);

  // SCN's relabels against the true labels (audit.json).
  function auditSection(audit) {
    const p = audit.pooled;
    const m = el('div', { class: 'metrics' });
    m.append(el('div', { class: 'metric' }, el('b', {}, fmt(p.precision)), 'precision: relabels that restored the true label'),
      el('div', { class: 'metric' }, el('b', {}, fmt(p.recall)), 'recall: noisy training clips fixed'),
      el('div', { class: 'metric' }, el('b', {}, p.scn_importance_auc === null ? '–' : fmt(p.scn_importance_auc)), 'AUC: low SCN importance vs wrong label'));
    if (p.rul_uncertainty_auc !== null && p.rul_uncertainty_auc !== undefined)
      m.append(el('div', { class: 'metric' }, el('b', {}, fmt(p.rul_uncertainty_auc)), 'AUC: high RUL uncertainty vs wrong label'));
    const out = [el('h3', {}, `Relabelling audit (against ${audit.truth})`), m,
      el('p', { class: 'note' }, `${p.relabelled} relabelled of ${p.training_clips} training clips (${p.noisy} noisy); ${p.restored} restored, ${p.broken} clean clips broken. ${audit.note || ''}`)];
    if (p.changes.length) out.push(table(['from', 'to', 'clips'], p.changes.map(c => [c.from, c.to, c.n]), 2));
    out.push(table(['fold', 'relabelled', 'noisy', 'precision', 'recall', 'AUC'], Object.entries(audit.folds || {}).map(([name, f]) =>
      [name, f.relabelled, f.noisy, fmt(f.precision), fmt(f.recall), f.scn_importance_auc === null ? '–' : fmt(f.scn_importance_auc)])));
    return out;
  }

  function runSection(run) {
    const s = el('section', { class: 'input' });
    s.append(el('h2', {}, `Training run: ${run.name}`));
    s.append(el('p', { class: 'note' }, `${run.path} — model ${run.model || '?'}, loss ${run.loss || '?'}, protocol ${run.protocol || '?'}, ${run.n} clips evaluated, ${run.folds.length} folds`));
    const m = el('div', { class: 'metrics' });
    for (const k of ['acc', 'uf1', 'uar']) {
      const sp = (run.fold_spread || {})[k];
      m.append(el('div', { class: 'metric' }, el('b', {}, fmt(run[k])), `${k.toUpperCase()} pooled` + (sp ? ` · folds ${fmt(sp.mean)} ± ${fmt(sp.sd)}` : '')));
    }
    s.append(m);
    const ts = run.test_selected;
    if (ts) {
      const t = el('div', { class: 'metrics' });
      for (const k of ['acc', 'uf1', 'uar'])
        t.append(el('div', { class: 'metric optimistic' }, el('b', {}, fmt(ts[k])), `${k.toUpperCase()} test-selected`));
      s.append(t, el('p', { class: 'note' }, 'Test-selected figures, ' + (ts.note || 'optimistic: each test subject\'s best epoch on its test labels') + '. The pooled figures above are the headline.'));
    }
    if (run.per_dataset) {
      s.append(el('h3', {}, 'Per dataset'));
      const tsd = (ts || {}).per_dataset || {};
      const headers = ['dataset', 'clips', 'ACC', 'UF1', 'UAR'].concat(ts ? ['UF1 test-selected', 'UAR test-selected'] : []);
      s.append(table(headers, Object.entries(run.per_dataset).map(([name, d]) =>
        [name, d.n, fmt(d.acc), fmt(d.uf1), fmt(d.uar)].concat(ts ? [fmt((tsd[name] || {}).uf1), fmt((tsd[name] || {}).uar)] : []))));
    }
    s.append(el('h3', {}, 'Confusion matrix (counts, then rows normalised)'));
    const cms = el('div', { class: 'tables' });
    cms.append(el('div', {}, confusion(run.classes, run.confusion || [], false)), el('div', {}, confusion(run.classes, run.confusion || [], true)));
    s.append(cms);
    const g = el('div', { class: 'grid' });
    s.append(el('h3', {}, 'Per class and per epoch'), g);
    const pc = run.per_class || {};
    bars(g, run.classes, ['precision', 'recall', 'f1'].map((k, i) => ({ label: k, backgroundColor: color(i), data: run.classes.map(c => pc[c] ? pc[c][k] : null) })),
      'Precision, recall, F1 per class (support: ' + run.classes.map(c => pc[c] ? pc[c].support : 0).join(', ') + ')', { scales: { y: { min: 0, max: 1 } } });
    bars(g, run.classes, [{ label: 'clips', backgroundColor: color(0), data: run.class_distribution }], 'Class distribution of the evaluated clips');
    const unmeasured = [];
    for (const [key, text, y] of [['train_loss', 'Training loss per fold', 'loss'], ['train_acc', 'Training accuracy per fold', 'accuracy'], ['val_uf1', 'Validation UF1 per fold', 'UF1']]) {
      const datasets = run.folds.map((f, i) => ({ label: f.fold, borderColor: color(i), backgroundColor: color(i), pointRadius: 1, data: points((f.curves || {}).epoch || [], (f.curves || {})[key] || []) }));
      if (datasets.every(d => d.data.length === 0)) unmeasured.push(text);
      else lines(g, datasets, text, y);
    }
    for (const text of unmeasured) s.append(el('p', { class: 'note' }, `${text}: not measured (no validation split in this run).`));
    s.append(el('h3', {}, 'Folds'));
    s.append(table(['fold', 'train', 'val', 'test', 'ACC', 'UF1', 'UAR', 'best epoch'],
      run.folds.map(f => [f.fold, f.train ?? '–', f.val ?? '–', f.n ?? '–', fmt(f.acc), fmt(f.uf1), fmt(f.uar), f.best_epoch ?? '–'])));
    if (run.audit) s.append(...auditSection(run.audit));
    s.append(el('h3', {}, `Failures (${run.failed})`));
    if (run.failures.length) s.append(table(['id', 'path', 'error'], run.failures, 3)); else s.append(el('p', { class: 'note' }, 'none'));
    s.append(el('h3', {}, 'Effective options (config.ini)'), el('pre', {}, run.config || '(none)'));
    return s;
  }

  function zoomable(parent, c, first, last) {
    if (!c) return;
    const row = el('div', { class: 'zoom' }, 'frames');
    const lo = el('input', { type: 'range', min: first, max: last, value: first });
    const hi = el('input', { type: 'range', min: first, max: last, value: last });
    const update = () => {
      const a = Math.min(+lo.value, +hi.value), b = Math.max(+lo.value, +hi.value);
      c.options.scales.x.min = a; c.options.scales.x.max = b; c.update('none');
    };
    lo.addEventListener('input', update); hi.addEventListener('input', update);
    row.append(lo, hi);
    parent.append(row);
  }

  function resultsSection(r) {
    const s = el('section', { class: 'input' });
    s.append(el('h2', {}, `Results file: ${r.name}`));
    s.append(el('p', { class: 'note' }, `${r.path} — model ${r.model}, written ${r.created_utc}; ${r.clips} clips, ${r.frames} frames, ${r.intervals} spotted intervals` + (r.accuracy !== null ? `; accuracy on the ${r.labelled} labelled clips ${fmt(r.accuracy)}` : '')));
    const g = el('div', { class: 'grid' });
    s.append(g);
    const statuses = Object.keys(r.status_counts);
    bars(g, statuses, [{ label: 'clips', backgroundColor: statuses.map(k => k === 'ok' ? color(4) : color(2)), data: statuses.map(k => r.status_counts[k]) }], 'Clips by status');
    bars(g, r.classes, [{ label: 'predicted', backgroundColor: color(0), data: r.prediction_distribution }].concat(
      r.labelled ? [{ label: 'labelled', backgroundColor: color(1), data: r.label_distribution }] : []), 'Prediction distribution (ok clips)');
    if (r.face_rates.length) {
      const bins = Array(10).fill(0);
      for (const v of r.face_rates) bins[Math.min(9, Math.floor(v * 10))] += 1;
      bars(g, bins.map((_, i) => `${i * 10}-${i * 10 + 10}%`), [{ label: 'clips', backgroundColor: color(3), data: bins }], `Face-detection rate per clip (${r.face_rates_scope})`);
    }
    s.append(el('h3', {}, `Failures (${r.failed})`));
    if (r.failures.length) s.append(table(['id', 'status', 'error'], r.failures, 3)); else s.append(el('p', { class: 'note' }, 'none'));
    s.append(el('h3', {}, `Clips (${r.plotted.length} plotted)`));
    for (const c of r.plotted) {
      const box = el('div');
      const label = c.label >= 0 ? r.classes[c.label] : 'unlabelled';
      box.append(el('p', { class: 'note' }, `${c.id} — ${c.n_frames} frames at ${fmt(c.fps, 1)} fps; label ${label}, predicted ${c.pred >= 0 ? r.classes[c.pred] : '–'}; onset ${c.onset}, apex ${c.apex}, offset ${c.offset} (${c.annotated ? 'annotated' : 'spotted'}); face found in ${c.face_rate === null ? '–' : fmt(100 * c.face_rate, 0) + '%'} of frames` + (c.sampled ? '; curve sampled (min/max per bucket)' : '')));
      const g2 = el('div', { class: 'grid' });
      box.append(g2);
      const motion = points(c.frame_index, c.motion);
      const top = motion.reduce((m, p) => Math.max(m, p.y), 1e-6);
      const marker = (x, name, i) => ({ label: name, type: 'scatter', pointRadius: 5, pointStyle: 'triangle', borderColor: color(i), backgroundColor: color(i), data: x >= 0 ? [{ x, y: top }] : [] });
      const datasets = [{ label: 'motion', borderColor: color(0), backgroundColor: color(0), pointRadius: 0, borderWidth: 1.5, data: motion },
        marker(c.onset, 'onset', 1), marker(c.apex, 'apex', 2), marker(c.offset, 'offset', 4)];
      if (c.annotated && c.onset >= 0 && c.offset >= c.onset)
        datasets.push({ label: 'annotated span', borderColor: 'rgba(89,161,79,.0)', backgroundColor: 'rgba(89,161,79,.15)', pointRadius: 0, fill: 'origin', data: [{ x: c.onset, y: top }, { x: c.offset, y: top }] });
      const mc = lines(g2, datasets, `Motion: ${c.id}`, 'motion', 'frame');
      zoomable(g2, mc, c.frame_index[0] ?? 0, c.frame_index[c.frame_index.length - 1] ?? 0);
      if (c.frame_probs) {
        lines(g2, r.classes.map((name, k) => ({ label: name, borderColor: color(k), backgroundColor: color(k), pointRadius: 0, borderWidth: 1.2, data: points(c.frame_index, c.frame_probs.map(p => p[k])) })),
          `Per-frame probabilities: ${c.id}`, 'probability', 'frame');
      }
      if (c.intervals.length) {
        const rows = c.intervals.map((iv, k) => `spotted ${k + 1}`);
        const ivData = c.intervals.map(iv => [iv.onset, iv.offset]);
        const ds = [{ label: 'spotted', backgroundColor: color(2), data: ivData }];
        if (c.annotated && c.onset >= 0) { rows.push('annotated'); ds[0].data.push(null); ds.push({ label: 'annotated', backgroundColor: color(4), data: rows.map((_, k) => k === rows.length - 1 ? [c.onset, c.offset] : null) }); }
        bars(g2, rows, ds, `Spotted intervals: ${c.id}`, { indexAxis: 'y', scales: { x: { title: { display: true, text: 'frame' } } } });
      }
      s.append(box);
    }
    s.append(el('h3', {}, 'Run options'), el('pre', {}, r.config || '(none)'));
    return s;
  }

  function comparison(inputs) {
    const runs = inputs.filter(x => x.kind === 'run');
    const s = el('section', { class: 'input' });
    s.append(el('h2', {}, `Comparison of ${inputs.length} inputs`));
    s.append(table(['input', 'kind', 'model', 'loss', 'clips', 'ACC', 'UF1', 'UAR', 'UF1 over folds'], inputs.map(x => x.kind === 'run'
      ? [x.name, 'run', x.model || '–', x.loss || '–', x.n, fmt(x.acc), fmt(x.uf1), fmt(x.uar), x.fold_spread && x.fold_spread.uf1 ? `${fmt(x.fold_spread.uf1.mean)} ± ${fmt(x.fold_spread.uf1.sd)}` : '–']
      : [x.name, 'results', x.model, '–', x.clips, fmt(x.accuracy), '–', '–', '–']), 2));
    if (runs.length >= 2) {
      const g = el('div', { class: 'grid' });
      s.append(g);
      const classes = runs[0].classes;
      bars(g, classes, runs.map((r, i) => ({ label: r.name, backgroundColor: color(i), data: classes.map(c => (r.per_class || {})[c] ? r.per_class[c].recall : null) })), 'Recall per class', { scales: { y: { min: 0, max: 1 } } });
      const curves = runs.map((r, i) => {
        const byEpoch = {};
        for (const f of r.folds) ((f.curves || {}).epoch || []).forEach((e, k) => { const v = f.curves.val_uf1 ? f.curves.val_uf1[k] : null; if (v !== null && v !== undefined) (byEpoch[e] = byEpoch[e] || []).push(v); });
        const data = Object.keys(byEpoch).map(Number).sort((a, b) => a - b).map(e => ({ x: e, y: byEpoch[e].reduce((a, b) => a + b, 0) / byEpoch[e].length }));
        return { label: r.name, borderColor: color(i), backgroundColor: color(i), pointRadius: 1, data };
      });
      if (curves.every(d => d.data.length === 0)) s.append(el('p', { class: 'note' }, 'Validation UF1, mean over folds: not measured (no validation split in these runs).'));
      else lines(g, curves, 'Validation UF1, mean over folds', 'UF1');
    }
    return s;
  }

  // Laid-out boxes side by side (grid and table rows) that overlap one another: 0 on a sound page.
  function overlaps() {
    let n = 0;
    for (const row of document.querySelectorAll('.grid, .tables, .metrics')) {
      const boxes = [...row.children].map(c => c.getBoundingClientRect());
      for (let i = 0; i < boxes.length; ++i)
        for (let j = i + 1; j < boxes.length; ++j) {
          const a = boxes[i], b = boxes[j];
          if (Math.min(a.right, b.right) - Math.max(a.left, b.left) > 1 && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 1) ++n;
        }
    }
    return n;
  }

  // One section failing (an unexpected summary) leaves the others standing.
  const section = (name, build) => {
    try {
      main.append(build());
    } catch (e) {
      errors.push(name + ': ' + e.message);
      main.append(el('section', { class: 'input' }, el('h2', {}, name), el('p', {}, 'This section could not be drawn: ' + e.message)));
    }
  };
  if (data.inputs.length > 1) section('Comparison', () => comparison(data.inputs));
  for (const input of data.inputs) section(input.name, () => input.kind === 'run' ? runSection(input) : resultsSection(input));
  const finish = () => {
    const rendered = charts.filter(c => c.chartArea && c.chartArea.width > 0 && c.chartArea.height > 0).length;
    document.body.dataset.chartsExpected = String(expected);
    document.body.dataset.chartsRendered = String(rendered);
    document.body.dataset.errors = JSON.stringify(errors);
    document.body.dataset.blocked = JSON.stringify(blocked);
    document.body.dataset.overlaps = String(overlaps());
    document.body.dataset.ready = 'true';
  };
  finish();
  // Charts lay out on the next frame; violations are reported asynchronously.
  requestAnimationFrame(() => setTimeout(finish, 0));
  setTimeout(finish, 500);
})();
