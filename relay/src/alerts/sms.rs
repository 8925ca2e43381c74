//! SMS encoding and segmentation: GSM-7 for plain English, UCS-2 for Hindi (Devanagari).
//!
//! A text made only of characters of the GSM 03.38 default alphabet (and its extension table,
//! whose characters take two septets) goes as GSM-7: 160 septets in one SMS, 153 per part when
//! concatenated (the 6-byte concatenation header takes 7 septets). Anything else, Devanagari
//! included, goes as UCS-2: 70 UTF-16 code units in one SMS, 67 per part. Lengths are counted in
//! UTF-16 code units (a character outside the Basic Multilingual Plane, an emoji, takes two).
//!
//! Parts are cut between grapheme clusters, approximated without tables: a combining mark
//! (Devanagari vowel signs, virama, nukta, anusvara, candrabindu, visarga; general combining
//! marks; variation selectors), a zero-width joiner or non-joiner, and a consonant after a virama
//! stay with what comes before, so a conjunct such as `क्ष` or `स्ते` is never split, nor a
//! surrogate pair. A cut goes after a space when there is one in the second half of the part.
//! Pure: no I/O.

/// How a message is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Coding {
    /// The GSM 03.38 7-bit default alphabet (Kannel `coding=0`).
    Gsm7,
    /// UCS-2, i.e. UTF-16 big-endian (Kannel `coding=2`).
    Ucs2,
}

impl Coding {
    /// Kannel's `coding` value.
    pub fn kannel(self) -> u8 {
        match self {
            Coding::Gsm7 => 0,
            Coding::Ucs2 => 2,
        }
    }

    /// Units in a single SMS, and per part of a concatenated one.
    pub fn limits(self) -> (usize, usize) {
        match self {
            Coding::Gsm7 => (160, 153),
            Coding::Ucs2 => (70, 67),
        }
    }
}

/// A text cut into SMS parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segments {
    /// The coding of every part.
    pub coding: Coding,
    /// The parts, in order; one part means no concatenation header.
    pub parts: Vec<String>,
}

/// The GSM 03.38 default alphabet (one septet each).
const GSM_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
/// The GSM 03.38 extension table (two septets each: escape and the character).
const GSM_EXTENDED: &str = "^{}\\[~]|€\u{c}";

/// Septets `c` takes in GSM-7, or `None` when GSM-7 cannot carry it.
fn gsm_units(c: char) -> Option<usize> {
    if GSM_BASIC.contains(c) {
        Some(1)
    } else if GSM_EXTENDED.contains(c) {
        Some(2)
    } else {
        None
    }
}

/// The coding a text needs.
pub fn coding_of(text: &str) -> Coding {
    if text.chars().all(|c| gsm_units(c).is_some()) { Coding::Gsm7 } else { Coding::Ucs2 }
}

/// Units `text` takes in `coding` (septets, or UTF-16 code units).
pub fn units(text: &str, coding: Coding) -> usize {
    match coding {
        Coding::Gsm7 => text.chars().map(|c| gsm_units(c).unwrap_or(1)).sum(),
        Coding::Ucs2 => text.encode_utf16().count(),
    }
}

/// True when `c` joins the character before it (no cut before it).
fn joins_previous(c: char) -> bool {
    matches!(c,
        '\u{0900}'..='\u{0903}'      // Devanagari candrabindu, anusvara, visarga
        | '\u{093A}'..='\u{093C}'    // vowel signs OE, OOE, nukta
        | '\u{093E}'..='\u{094F}'    // vowel signs, virama
        | '\u{0951}'..='\u{0957}'    // stress signs, vowel signs
        | '\u{0962}'..='\u{0963}'    // vowel signs vocalic L, LL
        | '\u{0300}'..='\u{036F}'    // combining diacritical marks
        | '\u{200C}'..='\u{200D}'    // zero-width non-joiner, joiner
        | '\u{FE00}'..='\u{FE0F}'    // variation selectors
        | '\u{1F3FB}'..='\u{1F3FF}') // skin-tone modifiers
}

/// True when the character after `c` joins it (virama: the next consonant is a conjunct; ZWJ).
fn joins_next(c: char) -> bool {
    matches!(c, '\u{094D}' | '\u{200D}')
}

/// The text as clusters that must not be cut.
fn clusters(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut previous: Option<char> = None;
    for (i, c) in text.char_indices() {
        let glue = previous.is_some_and(joins_next) || joins_previous(c);
        if i > start && !glue {
            out.extend(text.get(start..i));
            start = i;
        }
        previous = Some(c);
    }
    if start < text.len() {
        out.extend(text.get(start..));
    }
    out
}

/// Cuts `text` into SMS parts (see the module's rules). An empty text is one empty part.
pub fn segment(text: &str) -> Segments {
    let coding = coding_of(text);
    let (single, per_part) = coding.limits();
    if units(text, coding) <= single {
        return Segments { coding, parts: vec![text.to_owned()] };
    }
    let mut parts = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    let mut used = 0;
    for cluster in clusters(text) {
        let size = units(cluster, coding);
        if used + size > per_part && !current.is_empty() {
            let cut = space_cut(&current, coding, per_part);
            let rest = current.split_off(cut);
            parts.push(current.concat());
            used = rest.iter().map(|c| units(c, coding)).sum();
            current = rest;
        }
        current.push(cluster);
        used += size;
    }
    if !current.is_empty() {
        parts.push(current.concat());
    }
    Segments { coding, parts }
}

/// Where to end a full part: after its last space if that space is in the part's second half,
/// else after every cluster.
fn space_cut(current: &[&str], coding: Coding, per_part: usize) -> usize {
    let mut used = 0;
    let mut cut = current.len();
    for (i, c) in current.iter().enumerate() {
        used += units(c, coding);
        if *c == " " && used * 2 >= per_part {
            cut = i + 1;
        }
    }
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_english_is_gsm7_160_then_153() {
        assert_eq!(coding_of("Anganwadi: OPV-1 due tomorrow."), Coding::Gsm7);
        let one = "a".repeat(160);
        assert_eq!(segment(&one).parts.len(), 1);
        let two = "a".repeat(161);
        let s = segment(&two);
        assert_eq!((s.coding, s.parts.len()), (Coding::Gsm7, 2));
        assert_eq!(s.parts[0].len(), 153);
        assert_eq!(s.parts.concat(), two);
        // Extension characters take two septets.
        assert_eq!(units("a€[", Coding::Gsm7), 5);
        assert_eq!(segment(&"€".repeat(80)).parts.len(), 1);
        assert_eq!(segment(&"€".repeat(81)).parts.len(), 2);
    }

    #[test]
    fn hindi_is_ucs2_70_then_67() {
        let text = "आंगनबाड़ी सूचना";
        assert_eq!(coding_of(text), Coding::Ucs2);
        assert_eq!(units(text, Coding::Ucs2), text.chars().count());
        let seventy = "क".repeat(70);
        assert_eq!(segment(&seventy).parts.len(), 1);
        let s = segment(&"क".repeat(71));
        assert_eq!(s.parts.len(), 2);
        assert_eq!(units(&s.parts[0], Coding::Ucs2), 67);
        assert_eq!(units(&s.parts[1], Coding::Ucs2), 4);
        // One character outside GSM makes the whole message UCS-2.
        assert_eq!(coding_of("Anita का टीका"), Coding::Ucs2);
    }

    #[test]
    fn surrogate_pairs_count_two_and_are_never_split() {
        let text = format!("{}😀", "a".repeat(69));
        assert_eq!(units(&text, Coding::Ucs2), 71);
        let s = segment(&text);
        assert_eq!(s.parts.len(), 2);
        assert!(s.parts.iter().all(|p| units(p, Coding::Ucs2) <= 67));
        assert_eq!(s.parts.concat(), text);
        assert!(s.parts[1].ends_with('😀'));
    }

    #[test]
    fn conjuncts_and_vowel_signs_stay_whole() {
        // "स्ते" is स + virama + त + vowel sign E: four code units, one cluster.
        assert_eq!(clusters("नमस्ते"), ["न", "म", "स्ते"]);
        assert_eq!(clusters("क्षमा"), ["क्ष", "मा"]);
        for filler in 60..70 {
            let text = format!("{}नमस्ते दुनिया क्षमा करें", "क".repeat(filler));
            let s = segment(&text);
            assert_eq!(s.parts.concat(), text, "{filler}");
            for part in &s.parts {
                assert!(units(part, Coding::Ucs2) <= 67, "{filler}: {part}");
                let first = part.chars().next().unwrap();
                assert!(!joins_previous(first), "{filler}: part starts with a sign: {part}");
            }
            for pair in s.parts.windows(2) {
                assert!(!pair[0].ends_with('\u{094D}'), "{filler}: cut after a virama");
            }
        }
    }

    #[test]
    fn cuts_prefer_a_space_in_the_second_half() {
        let words = "टीका ".repeat(30);
        let s = segment(&words);
        assert!(s.parts.len() > 1);
        for part in &s.parts[..s.parts.len() - 1] {
            assert!(part.ends_with(' '), "{part:?}");
        }
        assert_eq!(s.parts.concat(), words);
    }
}
