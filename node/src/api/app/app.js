// The sevika's app. Everything it shows comes from the node's local API on the same origin;
// nothing is fetched from anywhere else, so every screen works with no network at all.
// The API token arrives in the address's fragment (#t=...) and is kept in session storage.
'use strict';

(function () {
  const WORDS = {
    hi: {
      'app.title': 'संपर्क',
      'lang.other': 'English',
      'nav.home': 'आज', 'nav.registers': 'रजिस्टर', 'nav.tickets': 'टिकट', 'nav.sync': 'सिंक',
      'home.title': 'आज की सेवाएँ',
      'home.summary': '{day}: {n} सेवाएँ, {late} समय से पीछे',
      'home.nothing': 'आज कोई सेवा देय नहीं।',
      'home.household': 'घर {number} — {head}',
      'home.window': '{from} से {by} तक',
      'home.overdue': '⚠ समय निकल गया',
      'home.give': 'दिया गया ✓',
      'home.weight': 'वज़न (किलो)',
      'home.clock': 'चेतावनी: फ़ोन की घड़ी ग़लत लगती है; तारीख़ ठीक करें।',
      'reg.title': 'रजिस्टर', 'reg.search': 'नाम, घर नंबर या फ़ोन', 'reg.find': 'खोजें',
      'reg.newHousehold': '+ नया घर', 'reg.newMember': '+ नया सदस्य',
      'reg.none': 'कुछ नहीं मिला।', 'reg.found': '{n} मिले',
      'reg.household': 'घर {number} — {head}', 'reg.member': '{name}, जन्म {dob}',
      'reg.open': 'देखें',
      'f.number': 'घर नंबर', 'f.head_name': 'मुखिया का नाम', 'f.caste': 'जाति वर्ग', 'f.religion': 'धर्म',
      'f.minority': 'अल्पसंख्यक', 'f.bpl': 'गरीबी रेखा से नीचे (BPL)', 'f.household': 'घर',
      'f.name': 'नाम', 'f.dob': 'जन्म तिथि', 'f.sex': 'लिंग', 'f.relation': 'मुखिया से संबंध', 'f.phone': 'फ़ोन (वैकल्पिक)',
      'f.weight_kg': 'वज़न (किलो)', 'f.height_cm': 'लंबाई/ऊँचाई (सेमी, वैकल्पिक)', 'f.date': 'तारीख़',
      'f.save': 'सहेजें', 'f.cancel': 'रद्द',
      'f.required': 'यह भरना ज़रूरी है', 'f.number_bad': 'सही संख्या लिखें', 'f.phone_bad': '10 अंकों का मोबाइल नंबर लिखें',
      'f.no_household': 'पहले घर दर्ज करें',
      'caste.sc': 'अनुसूचित जाति', 'caste.st': 'अनुसूचित जनजाति', 'caste.obc': 'अन्य पिछड़ा वर्ग', 'caste.other': 'अन्य',
      'religion.hindu': 'हिंदू', 'religion.muslim': 'मुस्लिम', 'religion.christian': 'ईसाई', 'religion.sikh': 'सिख',
      'religion.buddhist': 'बौद्ध', 'religion.jain': 'जैन', 'religion.other': 'अन्य',
      'sex.female': 'लड़की/महिला', 'sex.male': 'लड़का/पुरुष', 'sex.other': 'अन्य',
      'relation.head': 'मुखिया', 'relation.spouse': 'पति/पत्नी', 'relation.son': 'बेटा', 'relation.daughter': 'बेटी',
      'relation.daughter-in-law': 'बहू', 'relation.son-in-law': 'दामाद', 'relation.grandchild': 'पोता/पोती',
      'relation.parent': 'माता/पिता', 'relation.parent-in-law': 'सास/ससुर', 'relation.sibling': 'भाई/बहन', 'relation.other': 'अन्य',
      'saved': 'सहेजा गया ✓',
      'p.title': '{name} की सारी प्रविष्टियाँ', 'p.weigh': '+ वज़न दर्ज करें',
      'p.correct': 'सुधारें', 'p.void': 'रद्द करें', 'p.reason': 'रद्द करने का कारण', 'p.voided': 'रद्द: {reason}',
      'p.conflict': 'दो फ़ोनों ने एक साथ अलग लिखा — {field}: रखा गया "{kept}"; दूसरा लिखा गया "{other}"',
      'p.keep': 'यही रखें', 'p.keepOther': '"{value}" रखें',
      'reg.growth': 'वज़न {date}: {kg} किलो', 'reg.immunisation': 'टीका {vaccine}, {date}',
      'dup.title': 'शायद दो बार लिखे गए', 'dup.none': 'दो बार लिखा कोई व्यक्ति नहीं मिला।',
      'dup.pair': '{name}, जन्म {dob}: दो प्रविष्टियाँ', 'dup.void': 'दूसरी रद्द करें', 'dup.reason': 'दो बार लिखा गया',
      'tickets.title': 'मदद के टिकट', 'tickets.category': 'किस बारे में', 'tickets.text': 'समस्या अपने शब्दों में',
      'tickets.raise': 'टिकट भेजें', 'tickets.none': 'अभी कोई टिकट नहीं।', 'tickets.sent': 'टिकट बना; अगले सिंक पर प्रखंड तक जाएगा।',
      'tickets.comment': 'टिप्पणी जोड़ें', 'tickets.confirm': 'हल हो गया, पुष्टि करें', 'tickets.reopen': 'फिर से खोलें',
      'tickets.back': '← सारे टिकट',
      'cat.sync': 'सिंक', 'cat.data-correction': 'डेटा सुधार', 'cat.app-error': 'ऐप में गड़बड़ी',
      'cat.login-enrolment': 'लॉगिन / नामांकन', 'cat.phone-hardware': 'फ़ोन खराब', 'cat.other': 'अन्य',
      'sync.title': 'सिंक', 'sync.waiting': 'रिले तक जाना बाकी: {n} बदलाव', 'sync.carrying': 'दूसरे केंद्रों के लिए ले जा रहे: {n}',
      'sync.documents': 'रजिस्टर और टिकट: {n}', 'sync.never': 'अभी तक किसी से नहीं मिले।',
      'sync.met': '{when}: {peer} — {outcome}; भेजे {sent}, आए {received} बदलाव',
      'err.token': 'यह पन्ना फ़ोन के संपर्क ऐप से खोलें (कंप्यूटर पर: sampark-node app)। बिना चाबी के डेटा नहीं दिखेगा।',
      'err.api': 'नहीं हो सका: {why}',
      'err.offline': 'फ़ोन का नोड नहीं चल रहा; ऐप फिर से खोलें।',
    },
    en: {
      'app.title': 'Sampark',
      'lang.other': 'हिंदी',
      'nav.home': 'Today', 'nav.registers': 'Registers', 'nav.tickets': 'Tickets', 'nav.sync': 'Sync',
      'home.title': "Today's services",
      'home.summary': '{day}: {n} services, {late} overdue',
      'home.nothing': 'Nothing is due today.',
      'home.household': 'Household {number} — {head}',
      'home.window': 'from {from} to {by}',
      'home.overdue': '⚠ overdue',
      'home.give': 'Given ✓',
      'home.weight': 'Weight (kg)',
      'home.clock': "Warning: the phone's clock looks wrong; set the date.",
      'reg.title': 'Registers', 'reg.search': 'Name, household number or phone', 'reg.find': 'Search',
      'reg.newHousehold': '+ New household', 'reg.newMember': '+ New member',
      'reg.none': 'Nothing found.', 'reg.found': '{n} found',
      'reg.household': 'Household {number} — {head}', 'reg.member': '{name}, born {dob}',
      'reg.open': 'Open',
      'f.number': 'Household number', 'f.head_name': "Head's name", 'f.caste': 'Social category', 'f.religion': 'Religion',
      'f.minority': 'Minority', 'f.bpl': 'Below poverty line (BPL)', 'f.household': 'Household',
      'f.name': 'Name', 'f.dob': 'Date of birth', 'f.sex': 'Sex', 'f.relation': 'Relation to the head', 'f.phone': 'Phone (optional)',
      'f.weight_kg': 'Weight (kg)', 'f.height_cm': 'Length/height (cm, optional)', 'f.date': 'Date',
      'f.save': 'Save', 'f.cancel': 'Cancel',
      'f.required': 'This is needed', 'f.number_bad': 'Write a number', 'f.phone_bad': 'Write a 10-digit mobile number',
      'f.no_household': 'Record a household first',
      'caste.sc': 'SC', 'caste.st': 'ST', 'caste.obc': 'OBC', 'caste.other': 'Other',
      'religion.hindu': 'Hindu', 'religion.muslim': 'Muslim', 'religion.christian': 'Christian', 'religion.sikh': 'Sikh',
      'religion.buddhist': 'Buddhist', 'religion.jain': 'Jain', 'religion.other': 'Other',
      'sex.female': 'Female', 'sex.male': 'Male', 'sex.other': 'Other',
      'relation.head': 'Head', 'relation.spouse': 'Spouse', 'relation.son': 'Son', 'relation.daughter': 'Daughter',
      'relation.daughter-in-law': 'Daughter-in-law', 'relation.son-in-law': 'Son-in-law', 'relation.grandchild': 'Grandchild',
      'relation.parent': 'Parent', 'relation.parent-in-law': 'Parent-in-law', 'relation.sibling': 'Sibling', 'relation.other': 'Other',
      'saved': 'Saved ✓',
      'p.title': 'Every entry about {name}', 'p.weigh': '+ Record a weighing',
      'p.correct': 'Correct', 'p.void': 'Void', 'p.reason': 'Why void it', 'p.voided': 'voided: {reason}',
      'p.conflict': 'Two phones wrote this differently at once — {field}: kept "{kept}"; also written "{other}"',
      'p.keep': 'Keep this', 'p.keepOther': 'Keep "{value}"',
      'reg.growth': 'Weighed {date}: {kg} kg', 'reg.immunisation': 'Vaccine {vaccine}, {date}',
      'dup.title': 'Possibly written twice', 'dup.none': 'No one seems written twice.',
      'dup.pair': '{name}, born {dob}: two entries', 'dup.void': 'Void the second', 'dup.reason': 'written twice',
      'tickets.title': 'Help tickets', 'tickets.category': 'About', 'tickets.text': 'The problem, in your words',
      'tickets.raise': 'Send ticket', 'tickets.none': 'No tickets yet.', 'tickets.sent': 'Ticket made; it goes to the block at the next sync.',
      'tickets.comment': 'Add a comment', 'tickets.confirm': 'Solved: confirm', 'tickets.reopen': 'Reopen',
      'tickets.back': '← All tickets',
      'cat.sync': 'Sync', 'cat.data-correction': 'Data correction', 'cat.app-error': 'App error',
      'cat.login-enrolment': 'Login / enrolment', 'cat.phone-hardware': 'Phone broken', 'cat.other': 'Other',
      'sync.title': 'Sync', 'sync.waiting': 'Waiting to go to the relay: {n} changes', 'sync.carrying': 'Carried for other centres: {n}',
      'sync.documents': 'Registers and tickets: {n}', 'sync.never': 'Has not met anyone yet.',
      'sync.met': '{when}: {peer} — {outcome}; {sent} changes sent, {received} received',
      'err.token': "Open this page from the phone's Sampark app (on a computer: sampark-node app). Without its key no data is shown.",
      'err.api': 'Could not do it: {why}',
      'err.offline': "The phone's node is not running; open the app again.",
    },
  };

  // The node's values in Hindi, as its text output words them (ops::text::word); in English
  // a value is shown as it is.
  const VALUES = {
    open: 'खुला', resolved: 'हल हुआ', closed: 'बंद', incomplete: 'अधूरा',
    block: 'प्रखंड', district: 'ज़िला', state: 'राज्य',
    raised: 'दर्ज किया', received: 'प्राप्त किया', commented: 'टिप्पणी', assigned: 'सौंपा', escalated: 'ऊपर भेजा',
    'pulled-up': 'ऊपर लिया', reopened: 'फिर खोला', confirmed: 'पुष्टि की', carried: 'आगे ले गई',
    sevika: 'सेविका', supervisor: 'महिला पर्यवेक्षिका', operator: 'ऑपरेटर', 'block-relay': 'प्रखंड रिले',
    'district-relay': 'ज़िला रिले', 'state-hub': 'राज्य हब',
    complete: 'पूरा हुआ', 'budget-exhausted': 'सीमा पूरी, बाकी अगली बार', refused: 'मना किया',
    'refused-by-peer': 'दूसरी ओर से मना', 'timed-out': 'जवाब नहीं आया', interrupted: 'बीच में टूटा',
  };

  function word(value) {
    const v = String(value || '');
    return state.lang === 'hi' && VALUES[v] ? VALUES[v] : v.replace(/-/g, ' ');
  }

  const state = { lang: localStorage.getItem('sampark-lang') === 'en' ? 'en' : 'hi', screen: 'home', households: [] };
  const $ = (id) => document.getElementById(id);

  function t(key, args) {
    const text = WORDS[state.lang][key] || WORDS.hi[key] || key;
    return text.replace(/\{(\w+)\}/g, (_, name) => (args && args[name] !== undefined ? String(args[name]) : ''));
  }

  // An element with attributes (`text` sets its text) and children; never parses HTML.
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'text') e.textContent = v;
      else if (k === 'on') Object.entries(v).forEach(([ev, fn]) => e.addEventListener(ev, fn));
      else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? '' : v);
    }
    children.flat().forEach((c) => c && e.append(c));
    return e;
  }

  function clear(e) {
    while (e.firstChild) e.firstChild.remove();
    return e;
  }

  // DD-MM-YYYY, as dates are written in India.
  function date(iso) {
    const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso || '');
    return m ? `${m[3]}-${m[2]}-${m[1]}` : iso || '';
  }

  function notice(text, ok) {
    const n = $('notice');
    n.textContent = text;
    n.className = ok ? 'ok' : '';
    n.hidden = !text;
  }

  // The token: from the fragment once, then from session storage.
  function token() {
    const m = /(?:^#|&)t=([0-9a-fA-F]{16,128})/.exec(location.hash);
    if (m) {
      sessionStorage.setItem('sampark-token', m[1]);
      history.replaceState(null, '', location.pathname);
    }
    return sessionStorage.getItem('sampark-token');
  }

  class ApiError extends Error {}

  async function api(method, path, body) {
    const key = token();
    if (!key) throw new ApiError(t('err.token'));
    const options = { method, headers: { Authorization: 'Bearer ' + key } };
    if (body !== undefined) {
      options.headers['Content-Type'] = 'application/json';
      options.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(path, options);
    } catch (e) {
      throw new ApiError(t('err.offline'));
    }
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) {
      if (response.status === 401) throw new ApiError(t('err.token'));
      throw new ApiError(t('err.api', { why: answer.error || response.status }));
    }
    return answer;
  }

  // Runs `work`; shows its failure in words (at `where`, or at the top).
  async function attempt(work, where) {
    try {
      return await work();
    } catch (e) {
      const text = e instanceof ApiError ? e.message : t('err.api', { why: String(e) });
      if (where) {
        where.textContent = text;
        where.hidden = false;
      } else notice(text);
      return undefined;
    }
  }

  // ---- words on the page ----
  function translate() {
    document.documentElement.lang = state.lang;
    document.querySelectorAll('[data-t]').forEach((e) => (e.textContent = t(e.dataset.t)));
    document.querySelectorAll('[data-ph]').forEach((e) => (e.placeholder = t(e.dataset.ph)));
    $('lang').textContent = t('lang.other');
    document.title = t('app.title');
  }

  function show(screen) {
    state.screen = screen;
    document.querySelectorAll('.screen').forEach((s) => (s.hidden = s.id !== 'screen-' + screen));
    document.querySelectorAll('nav button').forEach((b) => {
      if (b.dataset.screen === screen) b.setAttribute('aria-current', 'page');
      else b.removeAttribute('aria-current');
    });
    notice('');
    refresh();
  }

  function refresh() {
    if (state.screen === 'home') return home();
    if (state.screen === 'registers') return registers();
    if (state.screen === 'tickets') return tickets();
    return sync();
  }

  // ---- home: the due list ----
  async function home() {
    const list = await attempt(() => api('POST', '/due', {}));
    const box = clear($('home-list'));
    if (!list) return;
    const items = list.households.flatMap((h) => h.items);
    $('home-summary').textContent = t('home.summary', {
      day: date(list.day), n: items.length, late: items.filter((i) => i.overdue).length,
    });
    if (list.clock_looks_wrong) box.append(el('p', { class: 'field-error', text: t('home.clock') }));
    if (!items.length) box.append(el('p', { text: t('home.nothing') }));
    for (const h of list.households) {
      const card = el('div', { class: 'card', 'data-household': h.household },
        el('h4', { text: t('home.household', { number: h.number, head: h.head_name }) }));
      for (const item of h.items) card.append(dueItem(item, list.day));
      box.append(card);
    }
  }

  function dueItem(item, day) {
    const name = state.lang === 'en' ? item.en : item.hi;
    const error = el('p', { class: 'field-error', hidden: true });
    const row = el('div', { class: 'item', 'data-service': item.service, 'data-beneficiary': item.beneficiary },
      el('div', { class: 'what', text: `${item.name}: ${name}` }),
      el('div', { class: 'when', text: t('home.window', { from: date(item.due_from), by: date(item.due_by) }) }),
      item.overdue ? el('div', { class: 'overdue', text: t('home.overdue') }) : null);
    const entry = Object.assign({}, item.closes);
    if (!entry.date && entry.register !== 'thr') entry.date = day;
    const actions = el('div', { class: 'actions' });
    let weight = null;
    if (entry.register === 'growth') {
      weight = el('input', { type: 'number', step: '0.01', min: '0.5', max: '60', inputmode: 'decimal',
        'aria-label': t('home.weight'), placeholder: t('home.weight'), class: 'weight' });
      actions.append(weight);
    }
    actions.append(el('button', { type: 'button', class: 'give', text: t('home.give'), on: { click: async () => {
      error.hidden = true;
      if (weight) {
        const kg = Number(weight.value);
        if (!weight.value || !(kg > 0)) {
          error.textContent = t('f.number_bad');
          error.hidden = false;
          return;
        }
        entry.weight_kg = kg;
        if (entry.oedema === undefined) entry.oedema = false;
      }
      const done = await attempt(() => api('POST', '/record', { entry }), error);
      if (done) {
        notice(t('saved'), true);
        home();
      }
    } } }));
    row.append(actions, error);
    return row;
  }

  // ---- registers ----
  async function registers() {
    const households = await attempt(() => api('POST', '/entries', { register: 'household' }));
    if (households) state.households = households.filter((h) => !h.voided);
    duplicates();
  }

  async function search(text) {
    const found = await attempt(() => api('POST', '/entries', { text }));
    const box = clear($('results'));
    $('profile').hidden = true;
    if (!found) return;
    box.append(el('p', { class: 'muted', text: found.length ? t('reg.found', { n: found.length }) : t('reg.none') }));
    for (const e of found) {
      const f = e.fields;
      const label = e.register === 'household'
        ? t('reg.household', { number: f.number, head: f.head_name })
        : t('reg.member', { name: f.name, dob: date(f.dob) });
      box.append(el('div', { class: 'card' + (e.voided ? ' voided' : ''), 'data-entry': e.id },
        el('div', { text: label }),
        el('div', { class: 'actions' },
          el('button', { type: 'button', class: 'secondary open', text: t('reg.open'), on: { click: () => profile(e) } }))));
    }
  }

  // A form of `fields` ([name, kind, options]) that records a `register` entry made by `make`.
  function form(register, fields, make, after) {
    const box = clear($('form-box'));
    const inputs = {};
    const f = el('form', { class: 'card', id: 'form-' + register, novalidate: true });
    for (const [name, kind, options] of fields) {
      const id = `in-${register}-${name}`;
      let input;
      if (kind === 'select') {
        input = el('select', { id }, options.map(([value, label]) => el('option', { value, text: label })));
      } else if (kind === 'check') {
        input = el('input', { id, type: 'checkbox' });
        f.append(el('label', { class: 'check', for: id }, input, t('f.' + name)));
        inputs[name] = input;
        continue;
      } else {
        input = el('input', { id, type: kind, step: kind === 'number' ? 'any' : undefined, maxlength: 200 });
      }
      const error = el('p', { class: 'field-error', id: id + '-error', hidden: true });
      f.append(el('label', { for: id, text: t('f.' + name) }), input, error);
      inputs[name] = input;
    }
    const failed = el('p', { class: 'field-error', id: `form-${register}-error`, hidden: true });
    f.append(failed, el('div', { class: 'actions' },
      el('button', { type: 'submit', class: 'save', text: t('f.save') }),
      el('button', { type: 'button', class: 'secondary', text: t('f.cancel'), on: { click: () => clear(box) } })));
    f.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      failed.hidden = true;
      const values = {};
      let ok = true;
      for (const [name, kind, , optional] of fields) {
        const input = inputs[name];
        const error = $(input.id + '-error');
        if (error) error.hidden = true;
        const say = (key) => {
          error.textContent = t(key);
          error.hidden = false;
          ok = false;
        };
        if (kind === 'check') values[name] = input.checked;
        else if (!input.value.trim()) {
          if (!optional) say('f.required');
        } else if (kind === 'number') {
          if (!(Number(input.value) > 0)) say('f.number_bad');
          else values[name] = Number(input.value);
        } else if (kind === 'tel') {
          const digits = input.value.replace(/\D/g, '');
          if (!/^[6-9]\d{9}$/.test(digits.slice(-10)) || digits.length < 10) say('f.phone_bad');
          else values[name] = digits.slice(-10);
        } else values[name] = input.value.trim();
      }
      if (!ok) return;
      const entry = Object.assign({ register }, make(values));
      const done = await attempt(() => api('POST', '/record', { entry }), failed);
      if (done) {
        clear(box);
        notice(t('saved'), true);
        if (after) after(done);
      }
    });
    box.append(f);
    const first = f.querySelector('input, select');
    if (first) first.focus();
  }

  const choices = (kind, values) => values.map((v) => [v, t(`${kind}.${v}`)]);

  function householdForm() {
    form('household', [
      ['number', 'text'], ['head_name', 'text'],
      ['caste', 'select', choices('caste', ['sc', 'st', 'obc', 'other'])],
      ['religion', 'select', choices('religion', ['hindu', 'muslim', 'christian', 'sikh', 'buddhist', 'jain', 'other'])],
      ['minority', 'check'], ['bpl', 'check'],
    ], (v) => v, () => registers());
  }

  function memberForm() {
    if (!state.households.length) return notice(t('f.no_household'));
    const homes = state.households.map((h) => [h.id, t('reg.household', { number: h.fields.number, head: h.fields.head_name })]);
    form('member', [
      ['household', 'select', homes], ['name', 'text'], ['dob', 'date'],
      ['sex', 'select', choices('sex', ['female', 'male', 'other'])],
      ['relation', 'select', choices('relation', ['head', 'spouse', 'son', 'daughter', 'daughter-in-law', 'son-in-law',
        'grandchild', 'parent', 'parent-in-law', 'sibling', 'other'])],
      ['phone', 'tel', null, true],
    ], (v) => Object.assign(v, { migration: 'resident', sms_opt_out: false }));
  }

  function weighingForm(child) {
    form('growth', [['date', 'date'], ['weight_kg', 'number'], ['height_cm', 'number', null, true]],
      (v) => Object.assign(v, { child: child.id, oedema: false },
        v.height_cm ? { position: ageInDays(child.fields.dob, v.date) < 731 ? 'lying' : 'standing' } : {}),
      () => profile(child));
    $('in-growth-date').value = new Date(Date.now() + 330 * 60000).toISOString().slice(0, 10);
  }

  function ageInDays(dob, day) {
    return (Date.parse(day) - Date.parse(dob)) / 86400000;
  }

  // A short line for an entry of any register.
  function summary(e) {
    const f = e.fields;
    if (e.register === 'member') return t('reg.member', { name: f.name, dob: date(f.dob) });
    if (e.register === 'household') return t('reg.household', { number: f.number, head: f.head_name });
    if (e.register === 'growth') return t('reg.growth', { date: date(f.date), kg: f.weight_kg });
    if (e.register === 'immunisation') return t('reg.immunisation', { vaccine: f.vaccine, date: date(f.date) });
    const shown = Object.entries(f).filter(([k]) => k !== 'register' && k !== 'child' && k !== 'beneficiary');
    return `${e.register}: ` + shown.map(([k, v]) => `${k} ${v}`).join(', ');
  }

  async function profile(entry) {
    const list = await attempt(() => api('POST', '/entries', { about: entry.id }));
    if (!list) return;
    const box = clear($('profile'));
    box.hidden = false;
    const name = entry.fields.name || entry.fields.head_name;
    box.append(el('h3', { text: t('p.title', { name }) }));
    if (entry.register === 'member') {
      box.append(el('button', { type: 'button', class: 'secondary', id: 'weigh', text: t('p.weigh'),
        on: { click: () => weighingForm(entry) } }));
    }
    for (const e of list) box.append(entryCard(e, () => profile(entry)));
    box.scrollIntoView();
  }

  function entryCard(e, again) {
    const card = el('div', { class: 'card', 'data-entry': e.id, 'data-register': e.register },
      el('div', { class: e.voided ? 'voided' : '', text: summary(e) }));
    if (e.voided) card.append(el('div', { class: 'muted', text: t('p.voided', { reason: e.void_reason }) }));
    const error = el('p', { class: 'field-error', hidden: true });
    for (const c of e.conflicts || []) {
      const other = c.also_written.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join('", "');
      const line = el('div', { class: 'conflict', 'data-field': c.field },
        t('p.conflict', { field: t('f.' + c.field), kept: c.kept, other }));
      // Either value can be kept: writing it settles the field on every phone.
      const keep = (value, cls, label) => el('button', { type: 'button', class: 'small ' + cls, text: label,
        on: { click: async () => {
          const fields = {};
          fields[c.field] = value;
          if (await attempt(() => api('POST', '/correct', { entry: e.id, fields }), error)) again();
        } } });
      line.append(el('div', { class: 'actions' }, keep(c.kept, 'keep', t('p.keep')),
        c.also_written.map((v) => keep(v, 'keep-other', t('p.keepOther', { value: typeof v === 'string' ? v : JSON.stringify(v) })))));
      card.append(line);
    }
    if (!e.voided) {
      const actions = el('div', { class: 'actions' });
      if (e.register === 'growth') {
        const kg = el('input', { type: 'number', step: '0.01', class: 'new-weight', 'aria-label': t('f.weight_kg'),
          value: e.fields.weight_kg });
        actions.append(kg, el('button', { type: 'button', class: 'secondary correct', text: t('p.correct'), on: { click: async () => {
          if (!(Number(kg.value) > 0)) {
            error.textContent = t('f.number_bad');
            error.hidden = false;
            return;
          }
          const done = await attempt(() => api('POST', '/correct', { entry: e.id, fields: { weight_kg: Number(kg.value) } }), error);
          if (done) {
            notice(t('saved'), true);
            again();
          }
        } } }));
      }
      const reason = el('input', { type: 'text', class: 'reason', placeholder: t('p.reason'), 'aria-label': t('p.reason'), maxlength: 200 });
      actions.append(reason, el('button', { type: 'button', class: 'secondary void', text: t('p.void'), on: { click: async () => {
        if (!reason.value.trim()) {
          error.textContent = t('f.required');
          error.hidden = false;
          return;
        }
        if (await attempt(() => api('POST', '/void', { entry: e.id, reason: reason.value.trim() }), error)) again();
      } } }));
      card.append(actions);
    }
    card.append(error);
    return card;
  }

  async function duplicates() {
    const pairs = await attempt(() => api('POST', '/duplicates', {}));
    const box = clear($('duplicates'));
    if (!pairs) return;
    if (!pairs.length) box.append(el('p', { class: 'muted', text: t('dup.none') }));
    for (const p of pairs) {
      const error = el('p', { class: 'field-error', hidden: true });
      box.append(el('div', { class: 'card', 'data-pair': p.second.id },
        el('div', { text: t('dup.pair', { name: p.first.fields.name, dob: date(p.first.fields.dob) }) }),
        el('div', { class: 'actions' }, el('button', { type: 'button', class: 'secondary void-second', text: t('dup.void'),
          on: { click: async () => {
            if (await attempt(() => api('POST', '/void', { entry: p.second.id, reason: t('dup.reason') }), error)) duplicates();
          } } })),
        error));
    }
  }

  // ---- tickets ----

  async function tickets() {
    const list = await attempt(() => api('GET', '/tickets'));
    const box = clear($('ticket-list'));
    $('ticket-view').hidden = true;
    box.hidden = false;
    if (!list) return;
    if (!list.length) box.append(el('p', { class: 'muted', text: t('tickets.none') }));
    for (const row of list) {
      box.append(el('div', { class: 'card', 'data-ticket': row.id },
        el('div', { class: 'what', text: `${t('cat.' + row.category)} — ${word(row.status)} (${word(row.tier)})` }),
        el('div', { text: row.text || '' }),
        el('div', { class: 'actions' }, el('button', { type: 'button', class: 'secondary open', text: t('reg.open'),
          on: { click: () => ticket(row.id) } }))));
    }
  }

  async function ticket(id) {
    const view = await attempt(() => api('GET', '/tickets/' + id));
    if (!view) return;
    $('ticket-list').hidden = true;
    const box = clear($('ticket-view'));
    box.hidden = false;
    box.append(el('button', { type: 'button', class: 'small', text: t('tickets.back'), on: { click: tickets } }),
      el('h3', { id: 'ticket-status', text: `${t('cat.' + view.category)} — ${word(view.status)} (${word(view.tier)})` }));
    const timeline = el('ol', { id: 'ticket-timeline' });
    for (const ev of view.timeline || []) {
      timeline.append(el('li', { text: `${word(ev.capacity)} ${word(ev.action)}${ev.text ? ': ' + ev.text : ''}` }));
    }
    const error = el('p', { class: 'field-error', hidden: true });
    const comment = el('textarea', { rows: 2, maxlength: 2000, 'aria-label': t('tickets.comment') });
    const act = (path, body) => async () => {
      if (await attempt(() => api('POST', `/tickets/${id}/${path}`, body()), error)) ticket(id);
    };
    box.append(timeline, comment, el('div', { class: 'actions' },
      el('button', { type: 'button', class: 'secondary', text: t('tickets.comment'), on: { click: act('comment', () => ({ text: comment.value })) } }),
      view.status === 'resolved'
        ? el('button', { type: 'button', id: 'ticket-confirm', text: t('tickets.confirm'), on: { click: act('confirm', () => ({})) } })
        : null,
      view.status === 'resolved'
        ? el('button', { type: 'button', class: 'secondary', text: t('tickets.reopen'), on: { click: act('reopen', () => ({ text: comment.value || null })) } })
        : null), error);
  }

  async function raise(ev) {
    ev.preventDefault();
    const error = $('ticket-error');
    error.hidden = true;
    const text = $('ticket-text').value.trim();
    if (!text) {
      error.textContent = t('f.required');
      error.hidden = false;
      return;
    }
    const done = await attempt(() => api('POST', '/tickets', { category: $('ticket-category').value, text }), error);
    if (done) {
      $('ticket-text').value = '';
      notice(t('tickets.sent'), true);
      tickets();
    }
  }

  // ---- sync ----
  async function sync() {
    const s = await attempt(() => api('GET', '/status'));
    const box = clear($('sync-body'));
    if (!s) return;
    const carried = s.carrying ? (s.carrying.documents !== undefined ? s.carrying.documents : JSON.stringify(s.carrying)) : 0;
    box.append(el('p', { id: 'sync-waiting', text: t('sync.waiting', { n: s.waiting_upward }) }),
      el('p', { text: t('sync.carrying', { n: carried }) }),
      el('p', { text: t('sync.documents', { n: s.documents }) }));
    const peers = s.peers || [];
    if (!peers.length) box.append(el('p', { class: 'muted', text: t('sync.never') }));
    const list = el('ul', { id: 'sync-peers' });
    for (const p of peers) {
      // DD-MM-YYYY HH:MM in India's time, as the node's text output writes it.
      const ist = p.at ? new Date(p.at + 330 * 60000).toISOString() : '';
      const when = ist ? `${date(ist.slice(0, 10))} ${ist.slice(11, 16)} IST` : '';
      list.append(el('li', { text: t('sync.met', { when, peer: String(p.peer).slice(0, 8) + '…', outcome: word(p.outcome), sent: p.changes_sent, received: p.changes_received }) }));
    }
    box.append(list);
  }

  // ---- start ----
  document.addEventListener('DOMContentLoaded', () => {
    token();
    translate();
    document.querySelectorAll('nav button').forEach((b) => b.addEventListener('click', () => show(b.dataset.screen)));
    $('lang').addEventListener('click', () => {
      state.lang = state.lang === 'hi' ? 'en' : 'hi';
      localStorage.setItem('sampark-lang', state.lang);
      translate();
      refresh();
    });
    $('search-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      search($('search').value);
    });
    $('new-household').addEventListener('click', householdForm);
    $('new-member').addEventListener('click', memberForm);
    $('ticket-form').addEventListener('submit', raise);
    // The key may arrive later, in a new fragment of the same page.
    window.addEventListener('hashchange', () => {
      if (/t=/.test(location.hash) && token()) show('home');
    });
    if (!token()) notice(t('err.token'));
    else show('home');
  });
})();
