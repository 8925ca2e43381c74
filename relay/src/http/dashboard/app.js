// The helpdesk dashboard of a Sampark relay: log in, the tier's ticket queue with deadline
// countdowns, one ticket's timeline, path and actions, and the centres by last contact. The
// reports (service coverage, the SMS outbox) are in reports.js, loaded before this file: it
// defines window.SamparkReports, which start() calls with the helpers below.
//
// Plain JavaScript, no build step, no framework, nothing from outside the relay (the server's
// policy is default-src 'self': no inline scripts or styles, so everything is wired up here).
// Every word the page shows is in STRINGS below, in Hindi and English. Hindi is the default;
// the choice made with the language buttons is remembered in localStorage. Text that comes from
// people (a ticket's problem, comments) and the server's error words are shown as they are.
// Everything from the server goes into the page as text (textContent), never as markup.
'use strict';

(function () {
  // ---------------------------------------------------------------------------------------------
  // The dictionary: every UI string, Hindi first. {name} is filled in by t(key, {name: ...}).
  // A unit is [one, many].
  const STRINGS = {
    hi: {
      'lang.name': 'हिन्दी',
      'lang.label': 'भाषा:',
      'app.name': 'संपर्क हेल्पडेस्क',
      'app.title': 'संपर्क हेल्पडेस्क',
      'skip': 'मुख्य भाग पर जाएँ',
      'nav.label': 'पन्ने',
      'nav.queue': 'टिकट कतार',
      'nav.centres': 'केंद्र',
      'nav.coverage': 'सेवा कवरेज',
      'nav.sms': 'SMS संदेश',
      'logout': 'लॉग आउट',
      'who': '{user} · {tier} हेल्पडेस्क · {scope}',
      'foot': 'संपर्क रिले {version} · {tier} {scope} · कुंजी {key}',

      'login.title': 'हेल्पडेस्क में लॉग इन करें',
      'login.intro': 'अपना उपयोगकर्ता नाम और पासवर्ड लिखें।',
      'login.user': 'उपयोगकर्ता नाम',
      'login.password': 'पासवर्ड',
      'login.submit': 'लॉग इन',
      'login.busy': 'लॉग इन हो रहा है…',
      'login.failed': 'लॉग इन नहीं हुआ: उपयोगकर्ता नाम या पासवर्ड गलत है।',
      'login.missing': 'उपयोगकर्ता नाम और पासवर्ड दोनों लिखें।',
      'login.expired': 'आपका सत्र समाप्त हो गया। फिर से लॉग इन करें।',
      'login.out': 'आप लॉग आउट हो गए।',

      'queue.title': 'टिकट कतार',
      'queue.caption': 'टिकट, समय-सीमा के क्रम में',
      'queue.empty': 'इन शर्तों पर कोई टिकट नहीं है।',
      'queue.summary': 'टिकट: {count} · समय-सीमा बीत चुकी: {overdue} · {time} पर ताज़ा किया',
      'filter.status': 'स्थिति',
      'filter.tier': 'स्तर',
      'filter.category': 'समस्या का प्रकार',
      'filter.awc': 'केंद्र (AWC)',
      'filter.awc.hint': 'जैसे BR/DBG/P07/S03/A0412',
      'filter.age': 'कम से कम इतने घंटे पुराने',
      'filter.apply': 'दिखाएँ',
      'filter.reset': 'सब हटाएँ',
      'filter.all': 'सभी',

      'col.ticket': 'टिकट',
      'col.centre': 'केंद्र',
      'col.category': 'प्रकार',
      'col.problem': 'समस्या',
      'col.status': 'स्थिति',
      'col.tier': 'स्तर',
      'col.raised': 'दर्ज हुआ',
      'col.deadline': 'समय-सीमा',
      'col.lastContact': 'आखिरी संपर्क',
      'col.lastChange': 'नया डेटा कब बना',
      'col.pending': 'खुले टिकट',
      'col.documents': 'दस्तावेज़',
      'col.tickets': 'टिकट',
      'sort.asc': '(बढ़ते क्रम में)',
      'sort.desc': '(घटते क्रम में)',
      'sort.by': '{column} के क्रम में लगाएँ',

      'status.open': 'खुला',
      'status.resolved': 'हल हुआ',
      'status.closed': 'बंद',
      'status.incomplete': 'अधूरा',
      'tier.block': 'प्रखंड',
      'tier.district': 'ज़िला',
      'tier.state': 'राज्य',
      'category.login-enrolment': 'लॉग इन / पंजीकरण',
      'category.sync': 'डेटा सिंक',
      'category.app-error': 'ऐप में खराबी',
      'category.data-correction': 'डेटा सुधार',
      'category.phone-hardware': 'फ़ोन की खराबी',
      'category.other': 'अन्य',

      'deadline.left': '{span} बाकी',
      'deadline.overdue': 'समय-सीमा {span} पहले बीत गई',
      'deadline.overdue.moment': 'समय-सीमा अभी-अभी बीती',
      'deadline.none': 'समय-सीमा अभी शुरू नहीं हुई',
      'deadline.done': '—',
      'badge.overdue': '⚠ देर',
      'unit.day': ['दिन', 'दिन'],
      'unit.hour': ['घंटा', 'घंटे'],
      'unit.minute': ['मिनट', 'मिनट'],
      'span.moment': '1 मिनट से कम',
      'ago': '{span} पहले',
      'never': 'कभी नहीं',

      'ticket.title': 'टिकट {short}',
      'ticket.back': '← टिकट कतार पर लौटें',
      'ticket.problem': 'समस्या',
      'ticket.resolution': 'हल: {text}',
      'ticket.path': 'टिकट का रास्ता',
      'ticket.receipts': 'किन फ़ोन और रिले से होकर आया',
      'ticket.receipts.none': 'अभी कुछ दर्ज नहीं।',
      'ticket.timeline': 'घटनाक्रम',
      'ticket.waiting': 'और {n} घटनाएँ किसी पिछली घटना के पहुँचने की प्रतीक्षा में हैं।',
      'ticket.actions': 'कार्रवाई',
      'ticket.loading': 'टिकट खुल रहा है…',
      'fact.tier': 'किस स्तर पर',
      'fact.category': 'प्रकार',
      'fact.centre': 'केंद्र',
      'fact.raised': 'दर्ज हुआ',
      'fact.deadline': 'समय-सीमा',
      'fact.assigned': 'किसे सौंपा',
      'fact.id': 'पूरी पहचान',
      'fact.nobody': 'किसी को नहीं',
      'fact.raisedBy': 'किसने दर्ज किया',
      'path.raised': 'केंद्र पर दर्ज: {at}',
      'path.reached': '{tier} हेल्पडेस्क को मिला: {at}',
      'path.notYet': '{tier} हेल्पडेस्क: अभी नहीं पहुँचा',
      'path.hop': 'रिले {hop}: {at}',
      'path.phone': 'फ़ोन {hop} ने आगे पहुँचाया: {at}',
      'by': '{who}',
      'by.role': '{role}, {tier}',
      'refused': 'लागू नहीं हुआ: {why}',
      'role.sevika': 'सेविका',
      'role.supervisor': 'महिला पर्यवेक्षिका',
      'role.operator': 'हेल्पडेस्क कर्मी',
      'role.block-relay': 'प्रखंड रिले',
      'role.district-relay': 'ज़िला रिले',
      'role.state-hub': 'राज्य हब',

      'action.raised': 'टिकट दर्ज किया',
      'action.received': 'हेल्पडेस्क को मिला',
      'action.commented': 'टिप्पणी',
      'action.assigned': 'सौंपा',
      'action.escalated': 'ऊपर भेजा',
      'action.pulled-up': 'ऊपर के स्तर ने लिया',
      'action.resolved': 'हल किया',
      'action.reopened': 'फिर से खोला',
      'action.confirmed': 'हल की पुष्टि',
      'action.carried': 'दूसरे फ़ोन ने आगे पहुँचाया',
      'action.text': 'संदेश (टिप्पणी, हल, या ऊपर भेजने का कारण)',
      'action.assign.to': 'किसे सौंपें (उपयोगकर्ता नाम या कुंजी)',
      'action.do.comment': 'टिप्पणी जोड़ें',
      'action.do.assign': 'सौंपें',
      'action.do.resolve': 'हल दर्ज करें',
      'action.do.escalate.district': 'ज़िले को भेजें',
      'action.do.escalate.state': 'राज्य को भेजें',
      'action.do.pullup': 'इस स्तर पर लें',
      'action.none.closed': 'यह टिकट बंद है। अब कोई कार्रवाई नहीं हो सकती।',
      'action.none.elsewhere': 'यह टिकट अभी {tier} स्तर पर है; वही इस पर कार्रवाई करेगा।',
      'action.none.resolved': 'यह टिकट हल हो चुका है; सेविका की पुष्टि की प्रतीक्षा है।',
      'action.need.text': 'पहले संदेश लिखें।',
      'action.need.to': 'पहले लिखें कि किसे सौंपना है।',
      'action.busy': 'भेजा जा रहा है…',
      'action.ok.comment': '✓ टिप्पणी जुड़ गई।',
      'action.ok.assign': '✓ टिकट सौंप दिया गया।',
      'action.ok.resolve': '✓ हल दर्ज हो गया। यह सेविका के फ़ोन तक पहुँचेगा।',
      'action.ok.escalate': '✓ टिकट ऊपर के स्तर को भेज दिया गया।',
      'action.ok.pullup': '✓ टिकट इस स्तर पर ले लिया गया।',
      'action.failed': '✗ नहीं हुआ: {why}',

      'centres.title': 'केंद्र, आखिरी संपर्क के क्रम में',
      'centres.intro': 'आखिरी संपर्क: इस रिले से केंद्र की सेविका के फ़ोन का आखिरी सीधा संपर्क। जिन केंद्रों से 7 दिन से न संपर्क हुआ, न नया डेटा आया, वे चिह्नित हैं।',
      'centres.caption': 'केंद्र, सबसे पुराने संपर्क पहले',
      'centres.empty': 'अभी किसी केंद्र से संपर्क नहीं हुआ है।',
      'centres.summary': 'केंद्र: {count} · 7 दिन से न संपर्क, न नया डेटा: {stale}',
      'centres.stale': '⚠ 7 दिन से ज़्यादा',
      'centres.clock_ahead': '⚠ फ़ोन की घड़ी {span} आगे है',
      'centres.tickets': 'टिकट देखें',
      'refusals.title': 'अस्वीकार किए गए संपर्क',
      'refusals.intro': 'जिन फ़ोनों या रिले को इस रिले ने मना किया, या जिनके लाए बदलाव मना किए, और क्यों (हर एक का आखिरी ऐसा संपर्क)।',
      'refusals.when': 'कब',
      'refusals.who': 'कौन',
      'refusals.why': 'क्यों',
      'refusals.empty': 'अभी कुछ भी मना नहीं किया गया है।',
      'refusals.unknown': 'अनजान कुंजी',
      'refusals.contact': 'संपर्क मना किया: {why}',
      'refusals.changes': '{count} बदलाव मना किए: {why}',

      'coverage.title': 'सेवाओं का कवरेज',
      'coverage.intro': 'हर सेवा के लिए: महीने में कितने लाभार्थियों को वह देय थी, और उनमें से कितनों को समय-सीमा के भीतर मिली। टीके जैसी एक बार की सेवाएँ उस महीने में गिनी जाती हैं जिसमें उनकी समय-सीमा पूरी होती है; राशन और गर्म भोजन 21 दिन या अधिक मिलने पर। सबसे कमज़ोर सेवाएँ और केंद्र सबसे ऊपर हैं।',
      'coverage.month': 'महीना',
      'coverage.prev': '← पिछला महीना',
      'coverage.next': 'अगला महीना →',
      'coverage.scope': 'क्षेत्र',
      'coverage.showAll': 'जिन सेवाओं में कोई देय नहीं था, वे भी दिखाएँ',
      'coverage.refresh': 'फिर से गिनें',
      'coverage.partial': '⚠ आंशिक: {month} अभी पूरा नहीं हुआ; {date} तक की गिनती। जिन सेवाओं की समय-सीमा बाद में पूरी होगी, वे अभी नहीं गिनी गईं।',
      'coverage.whole': '{month}: पूरा महीना ({date} तक)।',
      'coverage.schedule': 'टीकाकरण सूची: {version}',
      'coverage.closed': 'महीना {date} को बंद हुआ: आँकड़े तब के हैं; उसके बाद लिखी प्रविष्टियाँ कोष्ठक में "देर से" दिखती हैं।',
      'coverage.late': '({n} देर से)',
      'coverage.loading': 'गिनती हो रही है…',
      'coverage.none': 'इस रिले के पास अभी किसी केंद्र के रजिस्टर नहीं हैं।',
      'coverage.empty': 'इस महीने इस क्षेत्र में कोई लाभार्थी किसी सेवा के लिए देय नहीं था।',
      'coverage.hidden': 'जिन सेवाओं में कोई देय नहीं था, वे छिपी हैं: {n}',
      'coverage.services': '{scope}: सेवाएँ, सबसे कमज़ोर पहले',
      'coverage.children.block': 'प्रखंड, सबसे कमज़ोर पहले',
      'coverage.children.sector': 'सेक्टर, सबसे कमज़ोर पहले',
      'coverage.children.awc': 'केंद्र, सबसे कमज़ोर पहले',
      'coverage.children.intro': 'सभी सेवाएँ मिलाकर: कितनी बार देय थीं और कितनी बार समय पर मिलीं। नाम चुनें तो उसकी सेवाएँ दिखेंगी।',
      'coverage.crumbs': 'आप कहाँ हैं',
      'coverage.centres': 'केंद्र: {n}',
      'level.state': 'राज्य',
      'level.district': 'ज़िला',
      'level.block': 'प्रखंड',
      'level.sector': 'सेक्टर',
      'level.awc': 'केंद्र',
      'col.service': 'सेवा',
      'col.eligible': 'देय (लाभार्थी)',
      'col.delivered': 'समय पर मिली',
      'col.share': 'कवरेज',
      'col.indicator': 'सूचक',
      'col.thisMonth': 'यह महीना',
      'col.lastMonth': 'पिछला महीना',
      'col.trend': 'रुझान',
      'nutrition.title': '{scope}: पोषण और टीकाकरण',
      'nutrition.intro': 'पाँच साल से छोटे बच्चे, WHO 2006 मानकों पर: कितनों का वज़न लिया गया, और उनमें कितने कम वज़न, नाटे, दुबले, गंभीर (SAM) या मध्यम (MAM) कुपोषित; 6–60 महीने के बच्चों में कितनों की लंबाई नापी गई; और जिनका पहला जन्मदिन इस महीने था उनमें कितनों के सारे टीके (BCG, ओपीवी-1 से 3, पेंटावैलेंट-1 से 3, एमआर-1) लग चुके थे। 5–6 साल के बच्चे WHO 2007 संदर्भों पर: नाटापन और उम्र के हिसाब से BMI।',
      'nutrition.weighed': 'वज़न लिया गया',
      'nutrition.underweight': 'कम वज़न (उम्र के हिसाब से)',
      'nutrition.stunted': 'नाटापन (उम्र के हिसाब से लंबाई कम)',
      'nutrition.wasted': 'दुबलापन (लंबाई के हिसाब से वज़न कम)',
      'nutrition.sam': 'गंभीर तीव्र कुपोषण (SAM)',
      'nutrition.mam': 'मध्यम तीव्र कुपोषण (MAM)',
      'nutrition.height': 'लंबाई नापी गई (6–60 महीने)',
      'nutrition.immunised': 'पहले जन्मदिन तक पूरा टीकाकरण',
      'nutrition.weighed_5_6': 'वज़न लिया गया (5–6 वर्ष)',
      'nutrition.stunted_5_6': 'नाटापन (5–6 वर्ष)',
      'nutrition.thin_5_6': 'दुबलापन (5–6 वर्ष, उम्र के हिसाब से BMI कम)',
      'trend.better': '↑ बेहतर',
      'trend.worse': '↓ खराब',
      'trend.same': '= वैसा ही',
      'nutrition.current': '(देर से लिखी प्रविष्टियों के साथ {n} / {d})',
      'mpr.title': '{scope}: मासिक प्रगति प्रतिवेदन, {month}',
      'mpr.intro': 'केंद्र के रजिस्टरों से बना महीने का प्रतिवेदन, उसी रूप में जैसा सेविका के फ़ोन पर (sampark-node mpr): जन्म और मृत्यु, नए पंजीकरण, सेवाएँ कितने दिन दी गईं, 21 या अधिक दिन पूरक पोषाहार (वर्ग के अनुसार), स्कूल-पूर्व शिक्षा, वृद्धि निगरानी, टीकाकरण और रेफ़रल।',
      'mpr.closed': 'माह {date} को बंद हुआ: आँकड़े तब के हैं; बाद में लिखी प्रविष्टियों से जो बदलता है वह [बाद में: …] में है।',
      'mpr.open': 'माह अभी खुला है: {date} तक गिना गया; {closes} के बाद बंद होगा।',
      'mpr.later': '[बाद में: {n}]',
      'mpr.row': 'पंक्ति',
      'mpr.print': 'प्रतिवेदन छापें',
      'col.area': 'क्षेत्र',
      'col.centreCount': 'केंद्र',
      'col.eligibleAll': 'देय',
      'col.deliveredAll': 'समय पर',
      'col.weakest': 'सबसे कमज़ोर सेवा',
      'share.none': 'कोई देय नहीं',
      'share.low': '⚠ आधे से कम',

      'sms.title': 'SMS संदेश',
      'sms.intro': 'इस रिले के हर SMS अलर्ट की स्थिति, सबसे नए पहले। फ़ोन नंबर आंशिक रूप से छिपे हैं (पहले 2 और आखिरी 3 अंक दिखते हैं)। SMS गेटवे के बिना चल रहा रिले संदेश बनाकर कतार में रखता है, भेजता नहीं।',
      'sms.counts': 'स्थिति के अनुसार गिनती; किसी एक को चुनें तो केवल वही संदेश दिखेंगे',
      'sms.all': 'सभी: {n}',
      'sms.count': '{state}: {n}',
      'sms.summary': 'दिखाए गए: {shown} / {count} · {time} पर ताज़ा किया',
      'sms.more': 'सबसे नए {n} दिखाए गए हैं।',
      'sms.empty': 'इस स्थिति में कोई संदेश नहीं है।',
      'sms.noOutbox': 'यह रिले SMS नहीं भेजता: अलर्ट केवल प्रखंड रिले बनाता और भेजता है।',
      'sms.refresh': 'ताज़ा करें',
      'sms.caption': 'SMS संदेश, सबसे नए पहले',
      'sms.nextTry': 'फिर कोशिश: {at} ({span} बाद)',
      'sms.nextTry.now': 'फिर कोशिश: अगले दौर में',
      'sms.parts': 'भाग भेजे: {sent}/{total}',
      'sms.created': 'बना: {at}',
      'sms.changed': 'बदला: {at}',
      'sms.sentAt': 'भेजा: {at}',
      'sms.expires': 'अवधि: {at} तक',
      'col.smsState': 'स्थिति',
      'col.to': 'किसे',
      'col.kind': 'किस बारे में',
      'col.lang': 'भाषा',
      'col.attempts': 'प्रयास',
      'col.lastError': 'आखिरी त्रुटि',
      'col.times': 'समय',
      'smsstate.queued': '◷ कतार में',
      'smsstate.sending': '↗ भेजा जा रहा है',
      'smsstate.sent': '✓ भेजा गया',
      'smsstate.failed': '✗ नहीं गया',
      'smsstate.given-up': '⊘ छोड़ दिया गया',
      'kind.due-tomorrow': 'कल सेवा देय',
      'kind.no-gain': 'वज़न नहीं बढ़ा',
      'kind.overdue': 'बकाया सेवाएँ',
      'kind.no-entries': '7 दिन से कोई प्रविष्टि नहीं',
      'kind.sam': 'गंभीर कुपोषण (SAM)',
      'kind.inactive-centre': 'निष्क्रिय केंद्र',
      'recipient.beneficiary': 'लाभार्थी',
      'recipient.sevika': 'सेविका',
      'recipient.supervisor': 'महिला पर्यवेक्षिका',
      'language.hi': 'हिन्दी',
      'language.en': 'अंग्रेज़ी',

      'err.network': 'रिले से संपर्क नहीं हो पाया। नेटवर्क देखें और फिर कोशिश करें।',
      'err.status': 'रिले ने अनुरोध नहीं माना (कोड {status})।',
    },
    en: {
      'lang.name': 'English',
      'lang.label': 'Language:',
      'app.name': 'Sampark helpdesk',
      'app.title': 'Sampark helpdesk',
      'skip': 'Skip to the main content',
      'nav.label': 'Pages',
      'nav.queue': 'Ticket queue',
      'nav.centres': 'Centres',
      'nav.coverage': 'Coverage',
      'nav.sms': 'SMS',
      'logout': 'Log out',
      'who': '{user} · {tier} helpdesk · {scope}',
      'foot': 'Sampark relay {version} · {tier} {scope} · key {key}',

      'login.title': 'Log in to the helpdesk',
      'login.intro': 'Enter your user name and password.',
      'login.user': 'User name',
      'login.password': 'Password',
      'login.submit': 'Log in',
      'login.busy': 'Logging in…',
      'login.failed': 'Could not log in: the user name or password is wrong.',
      'login.missing': 'Enter both your user name and your password.',
      'login.expired': 'Your session has ended. Please log in again.',
      'login.out': 'You are logged out.',

      'queue.title': 'Ticket queue',
      'queue.caption': 'Tickets, by deadline',
      'queue.empty': 'No tickets match these filters.',
      'queue.summary': 'Tickets: {count} · overdue: {overdue} · updated at {time}',
      'filter.status': 'Status',
      'filter.tier': 'Tier',
      'filter.category': 'Problem area',
      'filter.awc': 'Centre (AWC)',
      'filter.awc.hint': 'e.g. BR/DBG/P07/S03/A0412',
      'filter.age': 'At least this many hours old',
      'filter.apply': 'Show',
      'filter.reset': 'Clear all',
      'filter.all': 'All',

      'col.ticket': 'Ticket',
      'col.centre': 'Centre',
      'col.category': 'Problem area',
      'col.problem': 'Problem',
      'col.status': 'Status',
      'col.tier': 'Tier',
      'col.raised': 'Raised',
      'col.deadline': 'Deadline',
      'col.lastContact': 'Last contact',
      'col.lastChange': 'Newest data made',
      'col.pending': 'Open tickets',
      'col.documents': 'Documents',
      'col.tickets': 'Tickets',
      'sort.asc': '(ascending)',
      'sort.desc': '(descending)',
      'sort.by': 'Sort by {column}',

      'status.open': 'Open',
      'status.resolved': 'Resolved',
      'status.closed': 'Closed',
      'status.incomplete': 'Incomplete',
      'tier.block': 'Block',
      'tier.district': 'District',
      'tier.state': 'State',
      'category.login-enrolment': 'Login / enrolment',
      'category.sync': 'Data sync',
      'category.app-error': 'App error',
      'category.data-correction': 'Data correction',
      'category.phone-hardware': 'Phone hardware',
      'category.other': 'Other',

      'deadline.left': '{span} left',
      'deadline.overdue': 'overdue by {span}',
      'deadline.overdue.moment': 'overdue by less than a minute',
      'deadline.none': 'deadline not started yet',
      'deadline.done': '—',
      'badge.overdue': '⚠ Overdue',
      'unit.day': ['day', 'days'],
      'unit.hour': ['hour', 'hours'],
      'unit.minute': ['minute', 'minutes'],
      'span.moment': 'less than a minute',
      'ago': '{span} ago',
      'never': 'never',

      'ticket.title': 'Ticket {short}',
      'ticket.back': '← Back to the ticket queue',
      'ticket.problem': 'Problem',
      'ticket.resolution': 'Resolution: {text}',
      'ticket.path': 'Where the ticket has been',
      'ticket.receipts': 'Phones and relays it passed through',
      'ticket.receipts.none': 'Nothing recorded yet.',
      'ticket.timeline': 'Timeline',
      'ticket.waiting': '{n} more events are waiting for an earlier event to arrive.',
      'ticket.actions': 'Actions',
      'ticket.loading': 'Opening the ticket…',
      'fact.tier': 'Held by tier',
      'fact.category': 'Problem area',
      'fact.centre': 'Centre',
      'fact.raised': 'Raised',
      'fact.deadline': 'Deadline',
      'fact.assigned': 'Assigned to',
      'fact.id': 'Full ID',
      'fact.nobody': 'nobody',
      'fact.raisedBy': 'Raised by',
      'path.raised': 'Raised at the centre: {at}',
      'path.reached': 'Reached the {tier} helpdesk: {at}',
      'path.notYet': '{tier} helpdesk: not reached yet',
      'path.hop': 'Relay {hop}: {at}',
      'path.phone': 'Carried by the phone {hop}: {at}',
      'by': '{who}',
      'by.role': '{role}, {tier}',
      'refused': 'Not applied: {why}',
      'role.sevika': 'sevika',
      'role.supervisor': 'Lady Supervisor',
      'role.operator': 'helpdesk operator',
      'role.block-relay': 'block relay',
      'role.district-relay': 'district relay',
      'role.state-hub': 'state hub',

      'action.raised': 'Ticket raised',
      'action.received': 'Received by the helpdesk',
      'action.commented': 'Comment',
      'action.assigned': 'Assigned',
      'action.escalated': 'Escalated',
      'action.pulled-up': 'Pulled up by a higher tier',
      'action.resolved': 'Resolved',
      'action.reopened': 'Reopened',
      'action.confirmed': 'Resolution confirmed',
      'action.carried': 'Carried on by another phone',
      'action.text': 'Message (comment, resolution, or why it goes up)',
      'action.assign.to': 'Assign to (user name or key)',
      'action.do.comment': 'Add comment',
      'action.do.assign': 'Assign',
      'action.do.resolve': 'Mark resolved',
      'action.do.escalate.district': 'Escalate to the district',
      'action.do.escalate.state': 'Escalate to the state',
      'action.do.pullup': 'Take it to this tier',
      'action.none.closed': 'This ticket is closed. Nothing more can be done.',
      'action.none.elsewhere': 'This ticket is now with the {tier} tier; they act on it.',
      'action.none.resolved': 'This ticket is resolved; waiting for the sevika to confirm.',
      'action.need.text': 'Write a message first.',
      'action.need.to': 'Write whom to assign it to first.',
      'action.busy': 'Sending…',
      'action.ok.comment': '✓ Comment added.',
      'action.ok.assign': '✓ Ticket assigned.',
      'action.ok.resolve': '✓ Resolution recorded. It will reach the sevika’s phone.',
      'action.ok.escalate': '✓ Ticket escalated to the tier above.',
      'action.ok.pullup': '✓ Ticket taken to this tier.',
      'action.failed': '✗ Not done: {why}',

      'centres.title': 'Centres by last contact',
      'centres.intro': 'Last contact: when the centre’s sevika’s phone last synced with this relay directly. Centres with neither a contact nor new data for 7 days are marked.',
      'centres.caption': 'Centres, oldest contact first',
      'centres.empty': 'No centre has been in contact yet.',
      'centres.summary': 'Centres: {count} · no contact or new data for 7 days: {stale}',
      'centres.stale': '⚠ over 7 days',
      'centres.clock_ahead': '⚠ phone clock {span} ahead',
      'refusals.title': 'Refused contacts',
      'refusals.intro': 'Phones or relays this relay refused, or refused changes from, and why (the last such contact of each).',
      'refusals.when': 'When',
      'refusals.who': 'Who',
      'refusals.why': 'Why',
      'refusals.empty': 'Nothing has been refused yet.',
      'refusals.unknown': 'unknown key',
      'refusals.contact': 'contact refused: {why}',
      'refusals.changes': '{count} changes refused: {why}',
      'centres.tickets': 'Show tickets',

      'coverage.title': 'Service coverage',
      'coverage.intro': 'For each service: how many beneficiaries it was due to in the month, and how many of them got it within its window. One-off services such as vaccines count in the month their window closes; ration and hot meal count from 21 days given. The weakest services and centres come first.',
      'coverage.month': 'Month',
      'coverage.prev': '← Previous month',
      'coverage.next': 'Next month →',
      'coverage.scope': 'Area',
      'coverage.showAll': 'Show services due to nobody',
      'coverage.refresh': 'Recount',
      'coverage.partial': '⚠ Partial: {month} is not over; counted up to {date}. Services whose window closes later are not counted yet.',
      'coverage.whole': '{month}: the whole month (up to {date}).',
      'coverage.schedule': 'Schedule: {version}',
      'coverage.closed': 'The month closed on {date}: the figures are as they stood then; entries written after are shown in brackets as late.',
      'coverage.late': '({n} late)',
      'coverage.loading': 'Counting…',
      'coverage.none': 'This relay holds no centre’s registers yet.',
      'coverage.empty': 'Nobody in this area was due for any service this month.',
      'coverage.hidden': 'Services nobody was due for are hidden: {n}',
      'coverage.services': '{scope}: services, weakest first',
      'coverage.children.block': 'Blocks, weakest first',
      'coverage.children.sector': 'Sectors, weakest first',
      'coverage.children.awc': 'Centres, weakest first',
      'coverage.children.intro': 'All services together: how many times they were due and how many times given within the window. Choose a name to see its services.',
      'coverage.crumbs': 'Where you are',
      'coverage.centres': 'Centres: {n}',
      'level.state': 'State',
      'level.district': 'District',
      'level.block': 'Block',
      'level.sector': 'Sector',
      'level.awc': 'Centre',
      'col.service': 'Service',
      'col.eligible': 'Due to (beneficiaries)',
      'col.delivered': 'Given within window',
      'col.share': 'Coverage',
      'col.indicator': 'Indicator',
      'col.thisMonth': 'This month',
      'col.lastMonth': 'Last month',
      'col.trend': 'Trend',
      'nutrition.title': '{scope}: nutrition and immunisation',
      'nutrition.intro': 'Children under five, against the WHO 2006 standards: how many were weighed, and of them how many underweight, stunted, wasted, with severe (SAM) or moderate (MAM) acute malnutrition; of the children of 6–60 months how many had their height measured; and of those whose first birthday fell in the month, how many had every dose (BCG, OPV-1 to 3, Pentavalent-1 to 3, MR-1) by then. Children of 5–6 years against the WHO 2007 references: stunting and BMI-for-age.',
      'nutrition.weighed': 'Weighed',
      'nutrition.underweight': 'Underweight (weight-for-age)',
      'nutrition.stunted': 'Stunted (height-for-age)',
      'nutrition.wasted': 'Wasted (weight-for-height)',
      'nutrition.sam': 'Severe acute malnutrition (SAM)',
      'nutrition.mam': 'Moderate acute malnutrition (MAM)',
      'nutrition.height': 'Height measured (6–60 months)',
      'nutrition.immunised': 'Fully immunised by the first birthday',
      'nutrition.weighed_5_6': 'Weighed (5–6 years)',
      'nutrition.stunted_5_6': 'Stunted (5–6 years)',
      'nutrition.thin_5_6': 'Thin (5–6 years, BMI-for-age)',
      'trend.better': '↑ better',
      'trend.worse': '↓ worse',
      'trend.same': '= same',
      'nutrition.current': '(with entries written late: {n} / {d})',
      'mpr.title': '{scope}: monthly progress report, {month}',
      'mpr.intro': "The month's report generated from the centre's registers, the same as on the sevika's phone (sampark-node mpr): births and deaths, new registrations, days services were given, supplementary nutrition for 21 or more days by category, pre-school, growth monitoring, immunisation and referrals.",
      'mpr.closed': 'The month closed on {date}: the figures are as they stood then; what entries written later change is in [later: …].',
      'mpr.open': 'The month is still open: counted up to {date}; it closes after {closes}.',
      'mpr.later': '[later: {n}]',
      'mpr.row': 'Row',
      'mpr.print': 'Print the report',
      'col.area': 'Area',
      'col.centreCount': 'Centres',
      'col.eligibleAll': 'Due',
      'col.deliveredAll': 'On time',
      'col.weakest': 'Weakest service',
      'share.none': 'nobody due',
      'share.low': '⚠ under half',

      'sms.title': 'SMS messages',
      'sms.intro': 'The state of every SMS alert of this relay, newest first. Phone numbers are partly hidden (the first 2 and the last 3 digits show). A relay running without an SMS gateway queues messages but does not send them.',
      'sms.counts': 'Counts by state; choose one to show only those messages',
      'sms.all': 'All: {n}',
      'sms.count': '{state}: {n}',
      'sms.summary': 'Shown: {shown} of {count} · refreshed at {time}',
      'sms.more': 'The newest {n} are shown.',
      'sms.empty': 'No message is in this state.',
      'sms.noOutbox': 'This relay sends no SMS: only a block relay computes and sends alerts.',
      'sms.refresh': 'Refresh',
      'sms.caption': 'SMS messages, newest first',
      'sms.nextTry': 'Next try: {at} (in {span})',
      'sms.nextTry.now': 'Next try: at the next round',
      'sms.parts': 'Parts sent: {sent}/{total}',
      'sms.created': 'Made: {at}',
      'sms.changed': 'Changed: {at}',
      'sms.sentAt': 'Sent: {at}',
      'sms.expires': 'Valid until: {at}',
      'col.smsState': 'State',
      'col.to': 'To',
      'col.kind': 'About',
      'col.lang': 'Language',
      'col.attempts': 'Attempts',
      'col.lastError': 'Last error',
      'col.times': 'Times',
      'smsstate.queued': '◷ Queued',
      'smsstate.sending': '↗ Sending',
      'smsstate.sent': '✓ Sent',
      'smsstate.failed': '✗ Failed',
      'smsstate.given-up': '⊘ Given up',
      'kind.due-tomorrow': 'Service due tomorrow',
      'kind.no-gain': 'No weight gain',
      'kind.overdue': 'Overdue services',
      'kind.no-entries': 'No entries for 7 days',
      'kind.sam': 'Severe acute malnutrition (SAM)',
      'kind.inactive-centre': 'Inactive centre',
      'recipient.beneficiary': 'Beneficiary',
      'recipient.sevika': 'Sevika',
      'recipient.supervisor': 'Supervisor',
      'language.hi': 'Hindi',
      'language.en': 'English',

      'err.network': 'Could not reach the relay. Check the network and try again.',
      'err.status': 'The relay refused the request (code {status}).',
    },
  };
  const LANGS = ['hi', 'en'];
  const LOCALES = { hi: 'hi-IN', en: 'en-IN' };
  const LANG_KEY = 'sampark.dashboard.lang';
  const STATUSES = ['open', 'resolved', 'closed'];
  const TIERS = ['block', 'district', 'state'];
  const CATEGORIES = ['login-enrolment', 'sync', 'app-error', 'data-correction', 'phone-hardware', 'other'];
  const MINUTE = 60 * 1000;
  const HOUR = 60 * MINUTE;
  const DAY = 24 * HOUR;
  const STALE_AFTER = 7 * DAY;

  // ---------------------------------------------------------------------------------------------
  // State.
  const state = {
    lang: initialLang(),
    me: null, // {user, key, tier, scope, csrf}
    health: null,
    skew: 0, // server clock minus this browser's clock, ms
    view: null,
    tickets: [],
    ticketsAt: null,
    ticket: null,
    centres: [],
    refusals: [],
    sort: { key: 'deadline', dir: 1 },
    filters: null,
  };
  // The coverage and SMS screens (reports.js), once started.
  let reports = null;

  function initialLang() {
    try {
      const saved = window.localStorage.getItem(LANG_KEY);
      if (LANGS.includes(saved)) return saved;
    } catch (e) {
      // Storage may be disabled; the default applies.
    }
    return 'hi';
  }

  function t(key, vars) {
    const table = STRINGS[state.lang] || STRINGS.hi;
    let s = key in table ? table[key] : key in STRINGS.en ? STRINGS.en[key] : key;
    if (vars) s = s.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
    return s;
  }

  function unit(n, name) {
    const forms = t('unit.' + name);
    return Array.isArray(forms) ? forms[n === 1 ? 0 : 1] : forms;
  }

  function locale() {
    return LOCALES[state.lang] || 'hi-IN';
  }

  // ---------------------------------------------------------------------------------------------
  // Small DOM helpers (text only: nothing from the server is ever parsed as markup).
  const $ = (id) => document.getElementById(id);

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') node.className = v;
      else if (k === 'text') node.textContent = v;
      else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? '' : v);
    }
    for (const c of children) {
      if (c === null || c === undefined || c === false) continue;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
    return node;
  }

  // ---------------------------------------------------------------------------------------------
  // Times: human dates in the chosen language, and spans such as "2 दिन 3 घंटे".
  function serverNow() {
    return Date.now() + state.skew;
  }

  // Dates as DD-MM-YYYY (as on the phone and in SMS), times in India, whatever the browser's zone.
  function fmtDate(ms) {
    if (ms === null || ms === undefined) return '—';
    const parts = {};
    new Intl.DateTimeFormat('en-GB', {
      timeZone: 'Asia/Kolkata',
      day: '2-digit',
      month: '2-digit',
      year: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    })
      .formatToParts(new Date(ms))
      .forEach((p) => {
        parts[p.type] = p.value;
      });
    return `${parts.day}-${parts.month}-${parts.year} ${parts.hour}:${parts.minute}`;
  }

  function fmtTime(ms) {
    return new Intl.DateTimeFormat(locale(), { hour: 'numeric', minute: '2-digit' }).format(new Date(ms));
  }

  function span(ms) {
    const minutes = Math.floor(Math.abs(ms) / MINUTE);
    const d = Math.floor(minutes / (24 * 60));
    const h = Math.floor((minutes % (24 * 60)) / 60);
    const m = minutes % 60;
    const part = (n, u) => n + ' ' + unit(n, u);
    if (d > 0) return h > 0 ? part(d, 'day') + ' ' + part(h, 'hour') : part(d, 'day');
    if (h > 0) return m > 0 ? part(h, 'hour') + ' ' + part(m, 'minute') : part(h, 'hour');
    if (m > 0) return part(m, 'minute');
    return t('span.moment');
  }

  // The countdown of a ticket: {text, overdue}.
  function countdown(row) {
    if (row.status !== 'open') return { text: t('deadline.done'), overdue: false };
    if (row.deadline === null || row.deadline === undefined) return { text: t('deadline.none'), overdue: false };
    const left = row.deadline - serverNow();
    if (left > 0 && !row.overdue) return { text: t('deadline.left', { span: span(left) }), overdue: false };
    const late = Math.max(0, -left);
    return { text: late < MINUTE ? t('deadline.overdue.moment') : t('deadline.overdue', { span: span(late) }), overdue: true };
  }

  function shortKey(key) {
    return typeof key === 'string' ? key.slice(0, 8) : '';
  }

  function ticketCentre(row) {
    return row.awc || row.scope || '';
  }

  function shortId(row) {
    return row.short || (row.id || '').slice(0, 8);
  }

  // ---------------------------------------------------------------------------------------------
  // The API. Errors carry the server's words, which are shown to the person.
  class ApiError extends Error {
    constructor(message, kind, status) {
      super(message);
      this.kind = kind;
      this.status = status;
    }
  }

  async function api(method, path, body) {
    const headers = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (method !== 'GET' && state.me && state.me.csrf) headers['X-CSRF-Token'] = state.me.csrf;
    let res;
    try {
      res = await fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: 'same-origin',
        cache: 'no-store',
      });
    } catch (e) {
      throw new ApiError(t('err.network'), 'network', 0);
    }
    const date = Date.parse(res.headers.get('Date') || '');
    if (!Number.isNaN(date)) state.skew = date - Date.now();
    if (res.status === 204) return null;
    let data = null;
    try {
      data = await res.json();
    } catch (e) {
      data = null;
    }
    if (!res.ok) {
      const words = data && typeof data.error === 'string' && data.error ? data.error : t('err.status', { status: res.status });
      const error = new ApiError(words, (data && data.kind) || '', res.status);
      if (res.status === 401 && state.me && path !== '/api/login') sessionLost();
      throw error;
    }
    return data;
  }

  // ---------------------------------------------------------------------------------------------
  // Messages to the person.
  function flash(text, kind) {
    const box = $('flash');
    box.textContent = text;
    box.className = 'flash ' + (kind === 'error' ? 'flash-error' : 'flash-ok');
    box.setAttribute('role', kind === 'error' ? 'alert' : 'status');
    box.hidden = !text;
  }

  function clearFlash() {
    flash('', 'ok');
  }

  // ---------------------------------------------------------------------------------------------
  // Language.
  function setLang(lang) {
    if (!LANGS.includes(lang)) return;
    state.lang = lang;
    try {
      window.localStorage.setItem(LANG_KEY, lang);
    } catch (e) {
      // Not remembered; still switched.
    }
    applyLang();
    render();
  }

  function applyLang() {
    document.documentElement.lang = state.lang;
    document.title = t('app.title');
    for (const node of document.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
    for (const node of document.querySelectorAll('[data-i18n-placeholder]')) {
      node.setAttribute('placeholder', t(node.dataset.i18nPlaceholder));
    }
    for (const node of document.querySelectorAll('[data-i18n-aria-label]')) {
      node.setAttribute('aria-label', t(node.dataset.i18nAriaLabel));
    }
    for (const button of document.querySelectorAll('.lang-button')) {
      const code = button.dataset.lang;
      button.textContent = STRINGS[code]['lang.name'];
      button.setAttribute('aria-pressed', String(code === state.lang));
    }
    fillSelect($('f-status'), STATUSES, 'status.');
    fillSelect($('f-tier'), TIERS, 'tier.');
    fillSelect($('f-category'), CATEGORIES, 'category.');
    $('queue-caption').textContent = t('queue.caption');
    $('centres-caption').textContent = t('centres.caption');
    if (reports) reports.applyLang();
    renderWho();
  }

  function fillSelect(select, values, prefix) {
    const chosen = select.value;
    clear(select);
    select.append(el('option', { value: '', text: t('filter.all') }));
    for (const v of values) select.append(el('option', { value: v, text: t(prefix + v) }));
    select.value = chosen;
  }

  function renderWho() {
    const me = state.me;
    $('who').hidden = !me;
    $('nav').hidden = !me;
    $('who-name').textContent = me ? t('who', { user: me.user, tier: t('tier.' + me.tier), scope: me.scope }) : '';
    const h = state.health;
    $('foot').textContent = h
      ? t('foot', { version: h.version || '', tier: t('tier.' + h.tier), scope: h.scope || '', key: shortKey(h.key) })
      : '';
  }

  // ---------------------------------------------------------------------------------------------
  // Views and routing (#/queue, #/ticket/<id>, #/centres, #/coverage?month=&scope=,
  // #/sms?state=).
  const VIEWS = ['login', 'queue', 'ticket', 'centres', 'coverage', 'sms'];
  // Each entry of the navigation, and the views it is current for.
  const NAV = { queue: ['queue', 'ticket'], centres: ['centres'], coverage: ['coverage'], sms: ['sms'] };

  function show(view) {
    const changed = state.view !== view;
    state.view = view;
    for (const v of VIEWS) $(v + '-view').hidden = v !== view;
    for (const [entry, views] of Object.entries(NAV)) {
      const link = $('nav-' + entry);
      link.classList.toggle('current', views.includes(view));
      if (view === entry) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
    if (changed) {
      const heading = document.querySelector('#' + view + '-view h1');
      if (heading && view !== 'login') heading.focus({ preventScroll: false });
    }
  }

  function route() {
    if (!state.me) {
      show('login');
      $('login-user').focus();
      return;
    }
    const hash = window.location.hash;
    const ticket = hash.match(/^#\/ticket\/([0-9a-fA-F]{8,64})$/);
    if (ticket) openTicket(ticket[1]);
    else if (hash === '#/centres') openCentres();
    else if (reports && /^#\/coverage(\?|$)/.test(hash)) reports.openCoverage(hash);
    else if (reports && /^#\/sms(\?|$)/.test(hash)) reports.openSms(hash);
    else openQueue();
  }

  function render() {
    if (state.view === 'queue') renderQueue();
    else if (state.view === 'ticket' && state.ticket) renderTicket(state.ticket);
    else if (state.view === 'centres') renderCentres();
    else if (reports) reports.render(state.view);
  }

  // ---------------------------------------------------------------------------------------------
  // Logging in and out.
  async function start() {
    if (typeof window.SamparkReports === 'function') {
      reports = window.SamparkReports({
        $, el, clear, t, api, flash, clearFlash, fmtDate, fmtTime, span, serverNow, show, state, locale,
      });
    }
    applyLang();
    wire();
    try {
      state.health = await api('GET', '/healthz');
    } catch (e) {
      state.health = null;
    }
    try {
      state.me = await api('GET', '/api/me');
    } catch (e) {
      state.me = null;
    }
    defaultFilters();
    renderWho();
    route();
    window.setInterval(tick, MINUTE);
  }

  function defaultFilters() {
    state.filters = { status: 'open', tier: state.me ? state.me.tier : '', category: '', awc: '', min_age_hours: '' };
    writeFilters();
  }

  async function login(event) {
    event.preventDefault();
    const user = $('login-user').value.trim();
    const password = $('login-password').value;
    const error = $('login-error');
    error.textContent = '';
    if (!user || !password) {
      error.textContent = t('login.missing');
      return;
    }
    const button = $('login-submit');
    button.disabled = true;
    button.textContent = t('login.busy');
    try {
      state.me = await api('POST', '/api/login', { user, password });
      $('login-password').value = '';
      clearFlash();
      defaultFilters();
      renderWho();
      route();
    } catch (e) {
      $('login-password').value = '';
      // A wrong name or password gets the dictionary's words (the server's say the same, in
      // English); anything else (too many tries, the relay unreachable) the server's words.
      error.textContent = e.status === 401 ? t('login.failed') : e.message;
      $('login-password').focus();
    } finally {
      button.disabled = false;
      button.textContent = t('login.submit');
    }
  }

  async function logout() {
    try {
      await api('POST', '/api/logout');
    } catch (e) {
      // Logged out here whatever the server said.
    }
    state.me = null;
    state.tickets = [];
    state.ticket = null;
    if (reports) reports.forget();
    renderWho();
    flash(t('login.out'), 'ok');
    route();
  }

  function sessionLost() {
    state.me = null;
    renderWho();
    flash(t('login.expired'), 'error');
    show('login');
  }

  // ---------------------------------------------------------------------------------------------
  // The queue.
  function readFilters() {
    state.filters = {
      status: $('f-status').value,
      tier: $('f-tier').value,
      category: $('f-category').value,
      awc: $('f-awc').value.trim(),
      min_age_hours: $('f-age').value.trim(),
    };
  }

  function writeFilters() {
    const f = state.filters;
    $('f-status').value = f.status;
    $('f-tier').value = f.tier;
    $('f-category').value = f.category;
    $('f-awc').value = f.awc;
    $('f-age').value = f.min_age_hours;
  }

  async function openQueue(quiet) {
    show('queue');
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(state.filters || {})) if (v) query.set(k, v);
    try {
      const data = await api('GET', '/api/tickets' + (query.toString() ? '?' + query : ''));
      state.tickets = (data && data.tickets) || [];
      state.ticketsAt = Date.now();
      if (!quiet) clearFlash();
    } catch (e) {
      if (state.me) flash(e.message, 'error');
    }
    if (state.view === 'queue') renderQueue();
  }

  function compareRows(a, b) {
    const key = state.sort.key;
    let diff;
    if (key === 'raised') {
      diff = (a.raised_at || 0) - (b.raised_at || 0);
    } else {
      // Open tickets with a running deadline first (soonest first), then open ones without,
      // then the rest, newest first.
      const rank = (r) => (r.status !== 'open' ? 2 : r.deadline === null || r.deadline === undefined ? 1 : 0);
      diff = rank(a) - rank(b);
      if (diff === 0 && rank(a) === 0) diff = a.deadline - b.deadline;
      if (diff === 0) diff = (b.raised_at || 0) - (a.raised_at || 0);
    }
    return diff * state.sort.dir || String(a.id).localeCompare(String(b.id));
  }

  function renderSortButtons() {
    for (const [key, column] of [['raised', 'col.raised'], ['deadline', 'col.deadline']]) {
      const th = $('th-' + key);
      const button = th.querySelector('button');
      const active = state.sort.key === key;
      const arrow = active ? (state.sort.dir > 0 ? ' ▲' : ' ▼') : '';
      button.textContent = t(column) + arrow;
      button.setAttribute(
        'aria-label',
        t('sort.by', { column: t(column) }) + (active ? ' ' + t(state.sort.dir > 0 ? 'sort.asc' : 'sort.desc') : '')
      );
      if (active) th.setAttribute('aria-sort', state.sort.dir > 0 ? 'ascending' : 'descending');
      else th.removeAttribute('aria-sort');
    }
  }

  function renderQueue() {
    renderSortButtons();
    const body = clear($('queue-body'));
    const rows = state.tickets.slice().sort(compareRows);
    let overdue = 0;
    for (const row of rows) {
      const c = countdown(row);
      if (c.overdue) overdue += 1;
      const text = row.text || '';
      const tr = el(
        'tr',
        { class: c.overdue ? 'overdue' : null, 'data-id': row.id },
        el('td', { class: 'id' }, el('a', { href: '#/ticket/' + row.id, class: 'ticket-link', text: shortId(row) })),
        el('td', { class: 'centre', text: ticketCentre(row) }),
        el('td', { text: t('category.' + row.category) }),
        el('td', { class: 'problem-cell', title: text.length > 120 ? text : null, text: text.length > 120 ? text.slice(0, 117) + '…' : text }),
        el('td', {}, t('status.' + row.status), row.assigned_to ? el('div', { class: 'assignee', text: '→ ' + assignee(row) }) : null),
        el('td', { text: row.tier ? t('tier.' + row.tier) : '' }),
        el('td', { class: 'when' }, el('time', { datetime: new Date(row.raised_at || 0).toISOString(), text: fmtDate(row.raised_at) })),
        el(
          'td',
          { class: 'deadline' },
          c.overdue ? el('strong', { class: 'badge badge-overdue', text: t('badge.overdue') }) : null,
          c.overdue ? ' ' : null,
          el('span', { class: 'countdown', text: c.text })
        )
      );
      body.append(tr);
    }
    $('queue-empty').hidden = rows.length > 0;
    $('queue-table').hidden = rows.length === 0;
    $('queue-summary').textContent = state.ticketsAt
      ? t('queue.summary', { count: rows.length, overdue, time: fmtTime(state.ticketsAt) })
      : '';
  }

  function sortBy(key) {
    if (state.sort.key === key) state.sort.dir = -state.sort.dir;
    else state.sort = { key, dir: key === 'raised' ? -1 : 1 };
    renderQueue();
  }

  // ---------------------------------------------------------------------------------------------
  // One ticket.
  async function openTicket(id) {
    show('ticket');
    if (!state.ticket || state.ticket.id !== id) {
      clear($('ticket-timeline'));
      clear($('ticket-path'));
      clear($('ticket-receipts'));
      clear($('ticket-facts'));
      clear($('ticket-badges'));
      $('ticket-title').textContent = t('ticket.loading');
      $('ticket-text').textContent = '';
      $('action-result').textContent = '';
    }
    try {
      const data = await api('GET', '/api/tickets/' + encodeURIComponent(id));
      state.ticket = data.ticket;
      renderTicket(state.ticket);
      clearFlash();
    } catch (e) {
      if (state.me) flash(e.message, 'error');
    }
  }

  function fact(dl, label, value) {
    dl.append(el('div', { class: 'fact' }, el('dt', { text: t(label) }), el('dd', {}, value)));
  }

  function who(by) {
    if (!by) return '';
    const roleWords = by.role ? (('role.' + by.role) in STRINGS.en ? t('role.' + by.role) : by.role) : '';
    const parts = [];
    if (by.user) parts.push(by.user);
    if (roleWords) parts.push(by.tier ? t('by.role', { role: roleWords, tier: t('tier.' + by.tier) }) : roleWords);
    if (by.scope && !by.tier) parts.push(by.scope);
    parts.push(by.short || shortKey(by.key));
    return parts.join(' · ');
  }

  function assignee(row) {
    if (!row.assigned_to) return t('fact.nobody');
    return row.assigned_user ? row.assigned_user + ' · ' + shortKey(row.assigned_to) : shortKey(row.assigned_to);
  }

  function renderTicket(tk) {
    const c = countdown(tk);
    $('ticket-title').textContent = t('ticket.title', { short: shortId(tk) });
    const badges = clear($('ticket-badges'));
    badges.append(el('span', { class: 'badge badge-status status-' + tk.status, text: t('status.' + tk.status) }));
    if (c.overdue) badges.append(' ', el('strong', { class: 'badge badge-overdue', text: t('badge.overdue') }));

    const facts = clear($('ticket-facts'));
    fact(facts, 'fact.tier', tk.tier ? t('tier.' + tk.tier) : '');
    fact(facts, 'fact.category', t('category.' + tk.category));
    fact(facts, 'fact.centre', ticketCentre(tk));
    fact(facts, 'fact.raised', fmtDate(tk.raised_at));
    fact(
      facts,
      'fact.deadline',
      el('span', { class: c.overdue ? 'countdown overdue-text' : 'countdown', text: tk.deadline ? fmtDate(tk.deadline) + ' — ' + c.text : c.text })
    );
    fact(facts, 'fact.assigned', assignee(tk));
    if (tk.raised_by) fact(facts, 'fact.raisedBy', who(tk.raised_by));
    fact(facts, 'fact.id', el('code', { text: tk.id }));
    $('ticket-text').textContent = tk.full_text || tk.text || '';
    const resolution = $('ticket-resolution');
    resolution.hidden = !tk.resolution;
    resolution.textContent = tk.resolution ? t('ticket.resolution', { text: tk.resolution }) : '';

    renderPath(tk);
    renderTimeline(tk);
    renderActions(tk);
  }

  function renderPath(tk) {
    const path = clear($('ticket-path'));
    path.append(el('li', { class: 'reached', text: t('path.raised', { at: fmtDate(tk.raised_at) }) }));
    const tiers = tk.tiers || {};
    for (const tier of TIERS) {
      const at = tiers[tier];
      const reached = at !== null && at !== undefined;
      path.append(
        el('li', {
          class: reached ? 'reached' : 'not-yet',
          text: reached ? t('path.reached', { tier: t('tier.' + tier), at: fmtDate(at) }) : t('path.notYet', { tier: t('tier.' + tier) }),
        })
      );
    }
    const receipts = clear($('ticket-receipts'));
    const hops = tk.path || [];
    if (hops.length === 0) receipts.append(el('li', { class: 'muted', text: t('ticket.receipts.none') }));
    for (const hop of hops) {
      const key = hop.kind === 'phone' ? 'path.phone' : 'path.hop';
      receipts.append(el('li', { text: t(key, { hop: who(hop), at: fmtDate(hop.at) }) }));
    }
  }

  function renderTimeline(tk) {
    const list = clear($('ticket-timeline'));
    for (const e of tk.timeline || []) {
      const action = t('action.' + e.action);
      const item = el(
        'li',
        { class: 'event event-' + e.action + (e.refused ? ' refused' : '') },
        el('div', { class: 'event-head' },
          el('time', { datetime: new Date(e.at || 0).toISOString(), text: fmtDate(e.at) }),
          ' ',
          el('strong', { class: 'event-action', text: action.startsWith('action.') ? e.action : action })
        ),
        el('div', { class: 'event-by', text: who(e.by) }),
        e.text ? el('p', { class: 'event-text', text: e.text }) : null,
        e.to ? el('div', { class: 'event-to', text: '→ ' + (typeof e.to === 'object' ? who(e.to) : shortKey(e.to)) }) : null,
        e.refused ? el('div', { class: 'event-refused', text: t('refused', { why: e.refused }) }) : null
      );
      list.append(item);
    }
    if (tk.waiting > 0) list.append(el('li', { class: 'muted waiting', text: t('ticket.waiting', { n: tk.waiting }) }));
  }

  // Which actions make sense for this person on this ticket.
  function possibleActions(tk) {
    const me = state.me;
    if (!me) return [];
    const mine = TIERS.indexOf(me.tier);
    const holding = TIERS.indexOf(tk.tier);
    if (tk.status === 'closed') return [];
    if (tk.status === 'resolved') return mine === holding ? ['comment'] : [];
    if (tk.status !== 'open') return [];
    if (mine === holding) return mine < TIERS.length - 1 ? ['comment', 'assign', 'resolve', 'escalate'] : ['comment', 'assign', 'resolve'];
    if (mine > holding) return ['pullup'];
    return [];
  }

  function renderActions(tk) {
    const actions = possibleActions(tk);
    const none = $('actions-none');
    const form = $('action-form');
    form.hidden = actions.length === 0;
    none.hidden = actions.length > 0;
    if (tk.status === 'closed') none.textContent = t('action.none.closed');
    else if (tk.status === 'resolved') none.textContent = t('action.none.resolved');
    else none.textContent = t('action.none.elsewhere', { tier: tk.tier ? t('tier.' + tk.tier) : '' });
    $('assign-field').hidden = !actions.includes('assign');
    const buttons = clear($('action-buttons'));
    const next = TIERS[TIERS.indexOf(tk.tier) + 1];
    for (const action of actions) {
      const label = t(action === 'escalate' ? 'action.do.escalate.' + next : 'action.do.' + action);
      buttons.append(
        el('button', {
          type: 'button',
          class: action === 'resolve' ? 'primary' : 'secondary',
          'data-action': action,
          id: 'do-' + action,
          text: label,
          onclick: () => act(tk, action),
        })
      );
    }
  }

  async function act(tk, action) {
    const result = $('action-result');
    const text = $('action-text').value.trim();
    const to = $('assign-to').value.trim();
    result.className = 'result';
    let body;
    if (action === 'assign') {
      if (!to) return showResult(t('action.need.to'), false);
      body = { to };
    } else {
      if (!text && (action === 'comment' || action === 'resolve')) return showResult(t('action.need.text'), false);
      body = { text };
    }
    const buttons = document.querySelectorAll('#action-buttons button');
    for (const b of buttons) b.disabled = true;
    result.textContent = t('action.busy');
    try {
      const data = await api('POST', '/api/tickets/' + encodeURIComponent(tk.id) + '/' + action, body);
      if (data && data.ticket) state.ticket = data.ticket;
      $('action-text').value = '';
      $('assign-to').value = '';
      renderTicket(state.ticket);
      showResult(t('action.ok.' + action), true);
    } catch (e) {
      for (const b of buttons) b.disabled = false;
      showResult(t('action.failed', { why: e.message }), false);
    }
  }

  function showResult(text, ok) {
    const result = $('action-result');
    result.textContent = text;
    result.className = 'result ' + (ok ? 'result-ok' : 'result-error');
    result.setAttribute('role', ok ? 'status' : 'alert');
  }

  // ---------------------------------------------------------------------------------------------
  // Centres.
  async function openCentres() {
    show('centres');
    try {
      const data = await api('GET', '/api/centres');
      state.centres = (data && data.centres) || [];
      const refused = await api('GET', '/api/refusals');
      state.refusals = (refused && refused.refusals) || [];
      clearFlash();
    } catch (e) {
      if (state.me) flash(e.message, 'error');
    }
    if (state.view === 'centres') renderCentres();
  }

  function renderCentres() {
    const now = serverNow();
    const rows = state.centres.slice().sort((a, b) => {
      const la = a.last_contact === null || a.last_contact === undefined ? -Infinity : a.last_contact;
      const lb = b.last_contact === null || b.last_contact === undefined ? -Infinity : b.last_contact;
      return la - lb || String(a.awc).localeCompare(String(b.awc));
    });
    const body = clear($('centres-body'));
    let stale = 0;
    for (const c of rows) {
      const never = c.last_contact === null || c.last_contact === undefined;
      const isStale = typeof c.stale === 'boolean' ? c.stale : never || now - c.last_contact > STALE_AFTER;
      if (isStale) stale += 1;
      const when = never ? t('never') : fmtDate(c.last_contact) + ' (' + t('ago', { span: span(now - c.last_contact) }) + ')';
      body.append(
        el(
          'tr',
          { class: isStale ? 'stale' : null },
          el('th', { scope: 'row', class: 'centre', text: c.awc }),
          el('td', {}, isStale ? el('strong', { class: 'badge badge-stale', text: t('centres.stale') }) : null, isStale ? ' ' : null, when),
          el(
            'td',
            {},
            c.clock_ahead_ms ? el('strong', { class: 'badge badge-stale clock-ahead', text: t('centres.clock_ahead', { span: span(c.clock_ahead_ms) }) }) : null,
            c.clock_ahead_ms ? ' ' : null,
            c.last_change ? fmtDate(c.last_change) : t('never')
          ),
          el('td', { class: 'num', text: String(c.pending ?? '') }),
          el('td', { class: 'num', text: String(c.documents ?? '') }),
          el('td', {}, el('button', { type: 'button', class: 'link', text: t('centres.tickets'), onclick: () => ticketsOf(c.awc) }))
        )
      );
    }
    $('centres-empty').hidden = rows.length > 0;
    $('centres-table').hidden = rows.length === 0;
    $('centres-summary').textContent = t('centres.summary', { count: rows.length, stale });
    renderRefusals();
  }

  function renderRefusals() {
    const rows = state.refusals || [];
    const body = clear($('refusals-body'));
    for (const r of rows) {
      const who = (r.role ? r.role + ' ' + (r.scope || '') : t('refusals.unknown')) + ' · ' + String(r.peer).slice(0, 8);
      const why = [];
      if (r.outcome === 'refused') why.push(t('refusals.contact', { why: r.reason || '' }));
      if (r.changes_refused > 0) why.push(t('refusals.changes', { count: r.changes_refused, why: (r.refusals || []).join('; ') }));
      body.append(
        el(
          'tr',
          {},
          el('td', { text: fmtDate(r.at) }),
          el('td', { class: 'centre', text: who }),
          el('td', { text: why.join(' · ') })
        )
      );
    }
    $('refusals-empty').hidden = rows.length > 0;
    $('refusals-table').hidden = rows.length === 0;
  }

  function ticketsOf(awc) {
    state.filters = { status: '', tier: '', category: '', awc, min_age_hours: '' };
    writeFilters();
    if (window.location.hash === '#/queue') openQueue();
    else window.location.hash = '#/queue';
  }

  // ---------------------------------------------------------------------------------------------
  // Every minute: countdowns move on; the queue is fetched again unless the person is working
  // in it (focus inside the table or the filters).
  function tick() {
    if (!state.me) return;
    if (state.view === 'queue') {
      const busy = document.activeElement && document.activeElement.closest('#queue-body, #filters');
      if (busy) renderQueue();
      else openQueue(true);
    } else if (state.view === 'ticket' && state.ticket) {
      const busy = document.activeElement && document.activeElement.closest('#action-form');
      if (!busy) renderTicket(state.ticket);
    } else if (state.view === 'centres') {
      renderCentres();
    } else if (reports) {
      reports.tick(state.view);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Wiring (no inline handlers: the policy forbids them).
  function wire() {
    $('login-form').addEventListener('submit', login);
    $('logout').addEventListener('click', logout);
    for (const button of document.querySelectorAll('.lang-button')) {
      button.addEventListener('click', () => setLang(button.dataset.lang));
    }
    $('filters').addEventListener('submit', (event) => {
      event.preventDefault();
      readFilters();
      openQueue();
    });
    $('f-reset').addEventListener('click', () => {
      defaultFilters();
      state.filters.status = '';
      state.filters.tier = '';
      writeFilters();
      openQueue();
    });
    for (const button of document.querySelectorAll('button.sort')) {
      button.addEventListener('click', () => sortBy(button.dataset.sort));
    }
    window.addEventListener('hashchange', route);
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') tick();
    });
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
