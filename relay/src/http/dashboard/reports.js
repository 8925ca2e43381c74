// The helpdesk dashboard's reports: service coverage per block, sector and centre
// (GET /api/coverage), nutrition outcomes (GET /api/nutrition), a centre's monthly progress
// report (GET /api/mpr, printable), and every SMS alert of the relay's outbox with its state (GET /api/alerts).
//
// Loaded before app.js, which calls window.SamparkReports(core) when the page starts, with its
// helpers (the dictionary's t, the API, the DOM helpers, the shared state). The same rules as
// app.js: every word the page shows is in the dictionary at the top of app.js; everything from
// the server goes into the page as text (textContent), never as markup; no inline styles (a
// bar's length is set through the CSS object model, which the page's policy allows).
//
// Phone numbers are shown masked (the first 2 and the last 3 digits: 98xxxxx210): the helpdesk
// can tell messages apart and match a caller's number without the page showing whole numbers of
// families to whoever looks at the screen. The JSON API keeps the whole number for tools.
'use strict';

window.SamparkReports = function (core) {
  const { $, el, clear, t, api, flash, clearFlash, fmtDate, fmtTime, span, serverNow, show, state, locale } = core;

  // A share below this is marked in words as well as by the bar's length and colour.
  const LOW_SHARE = 0.5;
  const SMS_STATES = ['queued', 'sending', 'sent', 'failed', 'given-up'];
  // Rows of the SMS table at most (the newest); the counts are over every message.
  const SMS_SHOWN = 300;
  // The level of a scope from its depth: BR, BR/DBG, BR/DBG/P07, .../S03, .../A0412.
  const LEVELS = ['state', 'district', 'block', 'sector', 'awc'];

  const cov = { key: null, data: null, nutrition: null, scope: null, all: false, loading: false, seq: 0, options: '' };
  const mpr = { key: null, data: null, seq: 0 };
  const sms = { filter: '', outbox: true, alerts: [], at: null, loaded: false };

  // ---------------------------------------------------------------------------------------------
  // Small helpers.
  function params(hash) {
    const i = hash.indexOf('?');
    return new URLSearchParams(i < 0 ? '' : hash.slice(i + 1));
  }

  function link(view, values) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(values)) if (v) q.set(k, v);
    const s = q.toString();
    return '#/' + view + (s ? '?' + s : '');
  }

  function go(hash) {
    if (window.location.hash === hash) window.dispatchEvent(new HashChangeEvent('hashchange'));
    else window.location.hash = hash;
  }

  function parent(scope) {
    const i = scope.lastIndexOf('/');
    return i < 0 ? '' : scope.slice(0, i);
  }

  function levelOf(scope) {
    return LEVELS[Math.min(scope.split('/').length, LEVELS.length) - 1];
  }

  function lastPart(scope) {
    return scope.slice(scope.lastIndexOf('/') + 1);
  }

  // "50%": rounded down, so that 100% means every one.
  function pct(share) {
    return Math.floor(share * 100 + 1e-9) + '%';
  }

  // This month by the relay's clock, in India: "2026-03".
  function thisMonth() {
    const parts = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Kolkata', year: 'numeric', month: '2-digit' })
      .formatToParts(new Date(serverNow()));
    const get = (type) => (parts.find((p) => p.type === type) || {}).value;
    return get('year') + '-' + get('month');
  }

  function shiftMonth(month, by) {
    const [y, m] = month.split('-').map(Number);
    const d = new Date(Date.UTC(y, m - 1 + by, 1));
    return d.getUTCFullYear() + '-' + String(d.getUTCMonth() + 1).padStart(2, '0');
  }

  function monthName(month) {
    const [y, m] = month.split('-').map(Number);
    return new Intl.DateTimeFormat(locale(), { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(
      new Date(Date.UTC(y, m - 1, 1))
    );
  }

  // YYYY-MM-DD → DD-MM-YYYY, as dates are written on the phone and in SMS.
  function dayName(day) {
    const [y, m, d] = String(day).split('-');
    return `${d}-${m}-${y}`;
  }

  // 9876543210 → 98xxxxx210.
  function mask(phone) {
    const digits = String(phone || '').replace(/\D/g, '');
    if (digits.length < 7) return digits.replace(/\d(?=\d{2})/g, 'x');
    return digits.slice(0, 2) + 'x'.repeat(digits.length - 5) + digits.slice(-3);
  }

  // ---------------------------------------------------------------------------------------------
  // Coverage.
  async function openCoverage(hash) {
    const p = params(hash);
    const month = /^\d{4}-(0[1-9]|1[0-2])$/.test(p.get('month') || '') ? p.get('month') : null;
    const scopeBefore = cov.scope;
    // A drill-down from a table or the trail: the focus goes to the services of the new scope.
    const drilled = !!(document.activeElement && document.activeElement.closest('#coverage-view table, #cov-crumbs'));
    cov.scope = p.get('scope') || null;
    show('coverage');
    const key = month || 'this';
    if (cov.key !== key || !cov.data) await loadCoverage(key);
    if (state.view !== 'coverage') return;
    renderCoverage();
    if (drilled && scopeBefore !== cov.scope) $('cov-services-title').focus();
  }

  async function loadCoverage(key) {
    const seq = ++cov.seq;
    cov.key = key;
    cov.data = null;
    cov.loading = true;
    renderCoverage();
    try {
      const query = key === 'this' ? '' : '?month=' + encodeURIComponent(key);
      const [data, nutrition] = await Promise.all([api('GET', '/api/coverage' + query), api('GET', '/api/nutrition' + query)]);
      if (seq !== cov.seq) return;
      cov.data = data;
      cov.nutrition = nutrition;
      clearFlash();
    } catch (e) {
      if (seq !== cov.seq) return;
      if (state.me) flash(e.message, 'error');
    } finally {
      if (seq === cov.seq) cov.loading = false;
    }
  }

  // What was written after the month closed, beside the reported figure: " (+1 देर से)".
  function lateText(late) {
    if (!late) return '';
    return ' ' + t('coverage.late', { n: (late > 0 ? '+' : '') + late });
  }

  function sumServices(rows) {
    const by = new Map();
    for (const row of rows) {
      for (const s of row.services || []) {
        const sum = by.get(s.service) || {
          service: s.service, en: s.en, hi: s.hi, eligible: 0, delivered: 0, late_delivered: 0,
        };
        sum.eligible += s.eligible || 0;
        sum.delivered += s.delivered || 0;
        sum.late_delivered += s.late_delivered || 0;
        by.set(s.service, sum);
      }
    }
    return [...by.values()].map((s) => ({ ...s, share: s.eligible > 0 ? s.delivered / s.eligible : null }));
  }

  // The scopes of the answer, and how they nest: the children of a scope are the scopes below
  // it whose nearest ancestor in the answer (or the scope asked about) is it.
  function tree(data) {
    const rows = (data && data.scopes) || [];
    const byScope = new Map(rows.map((r) => [r.scope, r]));
    const children = (scope) =>
      rows.filter((r) => {
        if (!r.scope.startsWith(scope + '/')) return false;
        let a = parent(r.scope);
        while (a && a !== scope && !byScope.has(a)) a = parent(a);
        return a === scope;
      });
    // A scope the answer has no row for (a district's or the state's own): the sum of its children.
    const row = (scope) => {
      if (byScope.has(scope)) return byScope.get(scope);
      const kids = children(scope);
      return {
        scope,
        level: levelOf(scope),
        centres: kids.reduce((n, k) => n + (k.centres || 0), 0),
        services: sumServices(kids),
      };
    };
    return { rows, byScope, children, row };
  }

  function totals(row) {
    let eligible = 0;
    let delivered = 0;
    let weakest = null;
    for (const s of row.services || []) {
      eligible += s.eligible || 0;
      delivered += s.delivered || 0;
      if (s.eligible > 0 && (weakest === null || s.share < weakest.share || (s.share === weakest.share && s.eligible > weakest.eligible))) {
        weakest = s;
      }
    }
    return { eligible, delivered, share: eligible > 0 ? delivered / eligible : null, weakest };
  }

  // Weakest first: the lowest share first, the most beneficiaries first among equal shares;
  // nothing due last.
  function byShare(a, b) {
    const sa = a.share === null || a.share === undefined ? Infinity : a.share;
    const sb = b.share === null || b.share === undefined ? Infinity : b.share;
    return sa - sb || (b.eligible || 0) - (a.eligible || 0);
  }

  function serviceName(s) {
    return (state.lang === 'en' ? s.en : s.hi) || s.en || s.service;
  }

  function scopeName(scope, level) {
    return t('level.' + (level || levelOf(scope))) + ' ' + scope;
  }

  function bar(share) {
    const fill = el('span', { class: 'bar-fill' });
    fill.style.width = Math.max(0, Math.min(100, share * 100)) + '%';
    return el('span', { class: 'bar', 'aria-hidden': 'true' }, fill);
  }

  function shareCell(share) {
    if (share === null || share === undefined) return el('td', { class: 'share muted', text: t('share.none') });
    const low = share < LOW_SHARE;
    return el(
      'td',
      { class: 'share' },
      el('span', { class: 'share-line' }, bar(share), el('span', { class: 'pct', text: pct(share) })),
      low ? ' ' : null,
      low ? el('strong', { class: 'badge badge-low', text: t('share.low') }) : null
    );
  }

  function lowClass(share) {
    return share !== null && share !== undefined && share < LOW_SHARE ? 'low' : null;
  }

  function renderCoverage() {
    const data = cov.data;
    const now = thisMonth();
    const month = data ? data.month : cov.key === 'this' ? now : cov.key;
    const monthField = $('cov-month');
    monthField.max = now;
    if (document.activeElement !== monthField) monthField.value = month || '';
    $('cov-next').disabled = !month || month >= now;
    $('cov-all').checked = cov.all;

    const status = $('cov-status');
    status.className = 'summary';
    if (cov.loading) status.textContent = t('coverage.loading');
    else if (!data) status.textContent = '';
    else {
      const said = t(data.partial ? 'coverage.partial' : 'coverage.whole', {
        month: monthName(data.month),
        date: dayName(data.as_of),
      });
      const closed = data.closed ? ' ' + t('coverage.closed', { date: dayName(data.closes_on) }) : '';
      status.textContent = said + closed + ' ' + t('coverage.schedule', { version: data.schedule || '' });
      if (data.partial) status.className = 'summary partial';
    }

    const own = state.me ? state.me.scope : '';
    const tr = tree(data);
    const none = !!data && tr.rows.length === 0;
    $('cov-none').hidden = !none;
    $('cov-layout').hidden = !data || none;
    if (data) fillScopes(tr, own);
    if (!data || none) {
      clear($('cov-crumb-list'));
      return;
    }
    const inside = cov.scope && (cov.scope === own || cov.scope.startsWith(own + '/')) && (tr.byScope.has(cov.scope) || cov.scope === own);
    const scope = inside ? cov.scope : own;
    $('cov-scope').value = scope;
    const row = tr.row(scope);
    renderCrumbs(tr, own, scope, data.month);
    renderServices(row);
    renderChildren(tr, scope, data.month);
    renderNutrition(scope);
    renderMpr(scope, data.month);
  }

  // ---------------------------------------------------------------------------------------------
  // A centre's monthly progress report, under its coverage: the server's sections as tables, in
  // the chosen language (each label comes in Hindi and English), printable on its own.
  async function renderMpr(scope, month) {
    const isCentre = levelOf(scope) === 'awc';
    $('cov-mpr-box').hidden = !isCentre;
    if (!isCentre) return;
    $('cov-mpr-title').textContent = t('mpr.title', { scope: scopeName(scope), month: monthName(month) });
    const key = scope + '|' + month;
    if (mpr.key !== key) {
      const seq = ++mpr.seq;
      mpr.key = key;
      mpr.data = null;
      drawMpr();
      try {
        const query = '?month=' + encodeURIComponent(month) + '&centre=' + encodeURIComponent(scope);
        const data = await api('GET', '/api/mpr' + query);
        if (seq !== mpr.seq) return;
        mpr.data = data;
      } catch (e) {
        if (seq !== mpr.seq) return;
        mpr.key = null;
        if (state.me) flash(e.message, 'error');
      }
    }
    drawMpr();
  }

  // 625 per mille → "62.5%"; no value → "—".
  function mprCell(value, unit) {
    if (value === null || value === undefined) return '—';
    return unit === 'per-mille' ? (value / 10).toFixed(1) + '%' : String(value);
  }

  function drawMpr() {
    const body = clear($('cov-mpr-body'));
    const data = mpr.data;
    const status = $('cov-mpr-status');
    $('cov-mpr-print').disabled = !data;
    if (!data) {
      status.textContent = t('coverage.loading');
      return;
    }
    status.textContent = data.closed
      ? t('mpr.closed', { date: dayName(data.closes_on) })
      : t('mpr.open', { date: dayName(data.as_of), closes: dayName(data.closes_on) });
    const word = (label) => (state.lang === 'en' ? label.en : label.hi);
    for (const section of data.sections) {
      const head = el('tr', {}, el('th', { scope: 'col', text: t('mpr.row') }));
      for (const c of section.columns) head.append(el('th', { scope: 'col', class: 'num', text: word(c) }));
      const rows = el('tbody');
      for (const row of section.rows) {
        const tr = el('tr', { 'data-row': row.id }, el('th', { scope: 'row', text: row.id + '  ' + word(row) }));
        row.cells.forEach((cell, i) => {
          const later = row.current && row.current[i] !== cell ? ' ' + t('mpr.later', { n: mprCell(row.current[i], row.unit) }) : '';
          tr.append(el('td', { class: 'num', text: mprCell(cell, row.unit) + later }));
        });
        rows.append(tr);
      }
      const table = el(
        'table',
        { class: 'grid mpr', 'data-section': String(section.number) },
        el('caption', { text: section.number + '. ' + word(section) }),
        el('thead', {}, head),
        rows
      );
      body.append(el('div', { class: 'table-wrap' }, table));
    }
  }

  // Prints the report alone (the page's other parts are hidden while printing).
  function printMpr() {
    document.body.classList.add('printing-mpr');
    window.addEventListener('afterprint', () => document.body.classList.remove('printing-mpr'), { once: true });
    window.print();
  }

  // Nutrition outcomes of the scope, this month beside the month before: [key, numerator,
  // denominator, whether more is better]. The rules are in docs/due-list.md.
  const INDICATORS = [
    ['weighed', 'weighed', 'children', true],
    ['underweight', 'underweight', 'waz', false],
    ['stunted', 'stunted', 'haz', false],
    ['wasted', 'wasted', 'whz', false],
    ['sam', 'sam', 'weighed', false],
    ['mam', 'mam', 'weighed', false],
    ['height', 'height_measured', 'height_eligible', true],
    ['immunised', 'fully_immunised', 'turned_one', true],
    ['weighed_5_6', 'weighed_5_6', 'children_5_6', true],
    ['stunted_5_6', 'stunted_5_6', 'haz_5_6', false],
    ['thin_5_6', 'thin_5_6', 'baz_5_6', false],
  ];

  // A closed month: the counts with what was written after its close, when they differ.
  function currentText(current, num, den, row) {
    if (!current || (current[num] === row[num] && current[den] === row[den])) return '';
    return ' ' + t('nutrition.current', { n: current[num], d: current[den] });
  }

  function renderNutrition(scope) {
    const body = clear($('cov-nutrition-body'));
    $('cov-nutrition-title').textContent = t('nutrition.title', { scope: scopeName(scope) });
    $('cov-nutrition-caption').textContent = t('nutrition.title', { scope: scopeName(scope) });
    const row = cov.nutrition && (cov.nutrition.scopes || []).find((s) => s.scope === scope);
    $('cov-nutrition-box').hidden = !row;
    if (!row) return;
    const before = row.previous || {};
    for (const [key, num, den, moreIsBetter] of INDICATORS) {
      const share = (c) => (c[den] > 0 ? c[num] / c[den] : null);
      const cell = (c) => (c[den] > 0 ? `${c[num]} / ${c[den]} (${pct(c[num] / c[den])})` : '—');
      const [now, then] = [share(row), share(before)];
      let trend = '—';
      if (now !== null && then !== null) {
        const better = moreIsBetter ? now > then : now < then;
        trend = now === then ? t('trend.same') : better ? t('trend.better') : t('trend.worse');
      }
      body.append(
        el(
          'tr',
          { 'data-indicator': key },
          el('th', { scope: 'row', text: t('nutrition.' + key) }),
          el('td', { class: 'num now', text: cell(row) + currentText(row.current, num, den, row) }),
          el('td', { class: 'num before', text: cell(before) }),
          el('td', { class: 'trend', text: trend })
        )
      );
    }
  }

  // The areas to choose from, as a tree (rebuilt only when they change, so that the focus stays).
  function fillScopes(tr, own) {
    const select = $('cov-scope');
    const scopes = own ? [own, ...tr.rows.map((r) => r.scope).filter((s) => s !== own && s.startsWith(own + '/'))] : [];
    scopes.sort();
    const signature = state.lang + '|' + scopes.join(',');
    if (signature === cov.options) return;
    cov.options = signature;
    clear(select);
    const depth0 = own.split('/').length;
    for (const s of scopes) {
      const indent = '\u00a0\u00a0'.repeat(s.split('/').length - depth0);
      select.append(el('option', { value: s, text: indent + scopeName(s) }));
    }
  }

  function renderCrumbs(tr, own, scope, month) {
    const list = clear($('cov-crumb-list'));
    const chain = [];
    for (let s = scope; s && (s === own || s.startsWith(own + '/')); s = parent(s)) {
      if (s === scope || s === own || tr.byScope.has(s)) chain.unshift(s);
    }
    $('cov-crumbs').hidden = chain.length < 2;
    for (const s of chain) {
      const name = scopeName(s);
      list.append(
        el(
          'li',
          {},
          s === scope
            ? el('span', { 'aria-current': 'page', text: name })
            : el('a', { href: link('coverage', { month, scope: s }), text: name })
        )
      );
    }
  }

  function renderServices(row) {
    $('cov-services-title').textContent = t('coverage.services', { scope: scopeName(row.scope, row.level) });
    $('cov-services-caption').textContent = t('coverage.services', { scope: scopeName(row.scope, row.level) });
    $('cov-centres').textContent = t('coverage.centres', { n: row.centres || 0 });
    const services = (row.services || []).map((s, i) => ({ ...s, order: i }));
    const due = services.filter((s) => s.eligible > 0);
    const shown = (cov.all ? services : due).slice().sort((a, b) => byShare(a, b) || a.order - b.order);
    const body = clear($('cov-services-body'));
    for (const s of shown) {
      body.append(
        el(
          'tr',
          { class: lowClass(s.share), 'data-service': s.service },
          el('th', { scope: 'row' }, el('span', { class: 'service-name', text: serviceName(s) }), el('span', { class: 'service-id', text: s.service })),
          el('td', { class: 'num eligible', text: String(s.eligible) }),
          el('td', { class: 'num delivered', text: String(s.delivered) + lateText(s.late_delivered) }),
          shareCell(s.share)
        )
      );
    }
    $('cov-services').hidden = shown.length === 0;
    $('cov-empty').hidden = due.length > 0;
    const hidden = services.length - shown.length;
    $('cov-hidden').textContent = hidden > 0 ? t('coverage.hidden', { n: hidden }) : '';
  }

  function renderChildren(tr, scope, month) {
    const kids = tr.children(scope).map((r) => ({ row: r, ...totals(r) }));
    $('cov-children-box').hidden = kids.length === 0;
    $('cov-layout').classList.toggle('single', kids.length === 0);
    if (kids.length === 0) return;
    const level = kids[0].row.level || levelOf(kids[0].row.scope);
    $('cov-children-title').textContent = t('coverage.children.' + level);
    $('cov-children-caption').textContent = t('coverage.children.' + level);
    kids.sort((a, b) => byShare(a, b) || a.row.scope.localeCompare(b.row.scope));
    const body = clear($('cov-children-body'));
    for (const k of kids) {
      const w = k.weakest;
      body.append(
        el(
          'tr',
          { class: lowClass(k.share), 'data-scope': k.row.scope },
          el('th', { scope: 'row', class: 'centre' }, el('a', { href: link('coverage', { month, scope: k.row.scope }), title: k.row.scope, text: lastPart(k.row.scope) })),
          el('td', { class: 'num', text: String(k.row.centres || 0) }),
          el('td', { class: 'num eligible', text: String(k.eligible) }),
          el('td', { class: 'num delivered', text: String(k.delivered) }),
          shareCell(k.share),
          el('td', { class: 'weakest', text: w ? serviceName(w) + ' · ' + pct(w.share) : '—' })
        )
      );
    }
  }

  function coverageHash(month, scope) {
    return link('coverage', { month, scope });
  }

  function currentMonth() {
    return (cov.data && cov.data.month) || (cov.key === 'this' ? thisMonth() : cov.key) || thisMonth();
  }

  // ---------------------------------------------------------------------------------------------
  // The SMS outbox.
  async function openSms(hash, quiet) {
    const wanted = params(hash).get('state') || '';
    sms.filter = SMS_STATES.includes(wanted) ? wanted : '';
    show('sms');
    if (sms.loaded) renderSms();
    try {
      const data = await api('GET', '/api/alerts');
      sms.outbox = !!(data && data.outbox);
      sms.alerts = (data && data.alerts) || [];
      sms.at = Date.now();
      sms.loaded = true;
      if (!quiet) clearFlash();
    } catch (e) {
      if (state.me) flash(e.message, 'error');
    }
    if (state.view === 'sms') renderSms();
  }

  function renderSms() {
    const counts = Object.fromEntries(SMS_STATES.map((s) => [s, 0]));
    for (const m of sms.alerts) if (m.state in counts) counts[m.state] += 1;
    const box = $('sms-counts');
    const focused = document.activeElement && document.activeElement.closest('#sms-counts');
    const keep = focused ? document.activeElement.dataset.state : null;
    clear(box);
    const filterButton = (value, label) =>
      el('button', {
        type: 'button',
        class: 'state-count' + (value ? ' sms-' + value : ''),
        'data-state': value || 'all',
        'aria-pressed': String(sms.filter === value),
        text: label,
        onclick: () => go(link('sms', { state: value })),
      });
    box.append(filterButton('', t('sms.all', { n: sms.alerts.length })));
    for (const s of SMS_STATES) box.append(filterButton(s, t('sms.count', { state: t('smsstate.' + s), n: counts[s] })));
    if (keep) box.querySelector('[data-state="' + keep + '"]').focus();

    $('sms-none').hidden = sms.outbox || !sms.loaded;
    const chosen = sms.alerts.filter((m) => !sms.filter || m.state === sms.filter);
    chosen.sort((a, b) => (b.created_ms || 0) - (a.created_ms || 0) || String(a.key).localeCompare(String(b.key)));
    const shown = chosen.slice(0, SMS_SHOWN);
    const body = clear($('sms-body'));
    const now = serverNow();
    for (const m of shown) body.append(smsRow(m, now));
    $('sms-table').hidden = shown.length === 0;
    $('sms-empty').hidden = !sms.loaded || !sms.outbox || shown.length > 0;
    $('sms-more').hidden = chosen.length <= SMS_SHOWN;
    $('sms-more').textContent = t('sms.more', { n: SMS_SHOWN });
    $('sms-summary').textContent = sms.at
      ? t('sms.summary', { shown: shown.length, count: chosen.length, time: fmtTime(sms.at) })
      : '';
  }

  function smsRow(m, now) {
    const parts = Array.isArray(m.parts) ? m.parts.length : 0;
    const next = m.state === 'failed' && typeof m.next_try_ms === 'number'
      ? m.next_try_ms > now
        ? t('sms.nextTry', { at: fmtDate(m.next_try_ms), span: span(m.next_try_ms - now) })
        : t('sms.nextTry.now')
      : null;
    const times = [t('sms.created', { at: fmtDate(m.created_ms) })];
    if (m.sent_ms) times.push(t('sms.sentAt', { at: fmtDate(m.sent_ms) }));
    else if (m.updated_ms && m.updated_ms !== m.created_ms) times.push(t('sms.changed', { at: fmtDate(m.updated_ms) }));
    if (m.state === 'queued' || m.state === 'failed') times.push(t('sms.expires', { at: fmtDate(m.expires_ms) }));
    const kind = t('kind.' + m.kind);
    return el(
      'tr',
      { class: 'sms-row sms-' + m.state, 'data-key': m.key, 'data-state': m.state },
      el(
        'td',
        { class: 'sms-state' },
        el('strong', { class: 'badge badge-sms sms-badge-' + m.state, text: t('smsstate.' + m.state) }),
        next ? el('div', { class: 'next-try', text: next }) : null
      ),
      el(
        'td',
        { class: 'to' },
        el('div', { text: t('recipient.' + m.recipient) }),
        el('div', { class: 'phone', text: mask(m.phone) })
      ),
      el('td', { class: 'centre', text: m.awc || '' }),
      el('td', { class: 'kind', text: kind.startsWith('kind.') ? m.kind : kind }),
      el('td', { class: 'sms-lang', text: t('language.' + m.lang) }),
      el(
        'td',
        { class: 'num attempts' },
        String(m.attempts || 0),
        el('div', { class: 'parts', text: t('sms.parts', { sent: m.parts_sent || 0, total: parts }) })
      ),
      el('td', { class: 'last-error', text: m.last_error || '—' }),
      el('td', { class: 'times' }, ...times.map((x) => el('div', { text: x })))
    );
  }

  // ---------------------------------------------------------------------------------------------
  // Wiring, and what app.js calls.
  function wire() {
    $('coverage-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const month = $('cov-month').value || currentMonth();
      cov.key = null;
      go(coverageHash(month, $('cov-scope').value));
    });
    $('cov-month').addEventListener('change', () => {
      const month = $('cov-month').value;
      if (/^\d{4}-\d{2}$/.test(month)) go(coverageHash(month, cov.scope));
    });
    $('cov-prev').addEventListener('click', () => go(coverageHash(shiftMonth(currentMonth(), -1), cov.scope)));
    $('cov-next').addEventListener('click', () => go(coverageHash(shiftMonth(currentMonth(), 1), cov.scope)));
    $('cov-scope').addEventListener('change', () => go(coverageHash(currentMonth(), $('cov-scope').value)));
    $('cov-all').addEventListener('change', () => {
      cov.all = $('cov-all').checked;
      renderCoverage();
    });
    $('cov-mpr-print').addEventListener('click', printMpr);
    $('sms-refresh').addEventListener('click', () => openSms(window.location.hash));
  }

  function applyLang() {
    $('sms-caption').textContent = t('sms.caption');
  }

  function render(view) {
    if (view === 'coverage') renderCoverage();
    else if (view === 'sms' && sms.loaded) renderSms();
  }

  // Every minute: the SMS list is fetched again unless the person is working in it.
  function tick(view) {
    if (view !== 'sms') return;
    const busy = document.activeElement && document.activeElement.closest('#sms-view table');
    if (busy) renderSms();
    else openSms(window.location.hash, true);
  }

  // Logged out: nothing of the reports stays in the page.
  function forget() {
    cov.key = null;
    cov.data = null;
    cov.seq += 1;
    cov.options = '';
    clear($('cov-scope'));
    sms.alerts = [];
    sms.loaded = false;
    sms.at = null;
    clear($('cov-services-body'));
    clear($('cov-children-body'));
    clear($('sms-body'));
    clear($('sms-counts'));
  }

  wire();
  return { openCoverage, openSms, applyLang, render, tick, forget };
};
