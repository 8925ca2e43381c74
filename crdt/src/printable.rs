//! Text from the registers and tickets made safe to show or send: [`printable`].
//!
//! A beneficiary's name or a ticket's text is typed on some phone and signed there; nothing
//! stops it from holding line breaks, terminal escape sequences (`ESC [ ...`, which can rewrite
//! what an operator's terminal shows), or Unicode bidirectional overrides (which make a text
//! read differently from what it is). Where such text leaves the program for a person, a
//! terminal line or an SMS, it goes through [`printable`] first. JSON output needs nothing: the
//! encoder escapes every control character.
//!
//! What stays: every letter, mark and sign, Devanagari's joiners (U+200C, U+200D) included.

use std::borrow::Cow;

/// True for characters that must not reach a terminal or an SMS as they are: C0 and C1 controls
/// (ESC, CR, LF, tab and the rest), DEL, the bidirectional embeddings, overrides and isolates
/// (U+202A–U+202E, U+2066–U+2069), the directional marks (U+200E, U+200F, U+061C), the line
/// and paragraph separators (U+2028, U+2029) and the byte-order mark (U+FEFF).
fn unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{FEFF}')
}

/// `text` with every unsafe character (see [`unsafe_char`]) dropped, except that line breaks
/// and tabs become one space each, so words stay apart. Borrows when nothing needs to change.
pub fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\n' | '\r' | '\t' | '\u{2028}' | '\u{2029}') {
            if !out.ends_with(' ') {
                out.push(' ');
            }
        } else if !unsafe_char(c) {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn escapes_breaks_and_overrides_go_and_hindi_stays() {
        assert_eq!(printable("सुनीता देवी"), "सुनीता देवी");
        assert!(matches!(printable("क्‍ष"), Cow::Borrowed(_)), "the joiner stays");
        assert_eq!(printable("Sunita\u{1b}[2J\u{1b}[31mDevi"), "Sunita[2J[31mDevi");
        assert_eq!(printable("line one\r\nline two"), "line one line two");
        assert_eq!(printable("abc\u{202E}fed\u{202C}"), "abcfed");
        assert_eq!(printable("\u{2067}x\u{2069}\u{7f}\u{9b}y"), "xy");
    }

    proptest! {
        #[test]
        fn the_result_is_always_printable(s in any::<String>()) {
            let p = printable(&s);
            prop_assert!(!p.chars().any(unsafe_char));
            let again = printable(&p).into_owned();
            prop_assert_eq!(again.as_str(), p.as_ref());
        }
    }
}
