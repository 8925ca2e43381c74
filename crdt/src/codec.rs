//! The canonical binary encoding of every signed object (certificates, revocations, ticket
//! events, signed changes).
//!
//! Signatures cover bytes, never re-serialised structures, so the encoding must be canonical:
//! one value has exactly one encoding and `encode(decode(b)) == b` for every `b` that decodes.
//! To get there the format is deliberately plain:
//!
//! - unsigned integers are fixed-width little-endian (`u8`, `u32`, `u64`), signed times are `i64`;
//! - byte strings and UTF-8 strings are a `u32` length then the bytes, with a per-field maximum
//!   checked *before* anything is allocated;
//! - booleans are `0` or `1`, anything else is an error;
//! - a decoder must consume the whole input: trailing bytes are an error.
//!
//! Decoding never panics and never allocates more than the input's length.

use thiserror::Error;

/// Why bytes could not be decoded. Every decoder in this crate returns this.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The input ended before the value did.
    #[error("input ends early: {what} needs {needed} more bytes")]
    Truncated {
        /// The field being read.
        what: &'static str,
        /// How many bytes were missing.
        needed: usize,
    },
    /// A length field is larger than that field allows.
    #[error("{what} is {len} bytes, more than the {max} allowed")]
    TooLong {
        /// The field being read.
        what: &'static str,
        /// The declared length.
        len: usize,
        /// The maximum for that field.
        max: usize,
    },
    /// Bytes were left after the value.
    #[error("{0} unexpected bytes after the value")]
    TrailingBytes(usize),
    /// A field holds a value outside its domain.
    #[error("invalid {what}: {why}")]
    Invalid {
        /// The field being read.
        what: &'static str,
        /// What is wrong with it.
        why: String,
    },
}

impl DecodeError {
    /// Shorthand for [`DecodeError::Invalid`].
    pub fn invalid(what: &'static str, why: impl Into<String>) -> Self {
        DecodeError::Invalid { what, why: why.into() }
    }
}

/// Appends canonical fields to a buffer.
#[derive(Debug, Default)]
pub struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    /// An empty writer.
    pub fn new() -> Self {
        Self::default()
    }

    /// A writer whose output starts with a domain-separation tag (used for bytes to sign).
    pub fn with_tag(tag: &[u8]) -> Self {
        let mut w = Self::new();
        w.buf.extend_from_slice(tag);
        w
    }

    /// One byte.
    pub fn u8(&mut self, v: u8) -> &mut Self {
        self.buf.push(v);
        self
    }

    /// A boolean as `0` or `1`.
    pub fn bool(&mut self, v: bool) -> &mut Self {
        self.u8(u8::from(v))
    }

    /// A little-endian `u32`.
    pub fn u32(&mut self, v: u32) -> &mut Self {
        self.buf.extend_from_slice(&v.to_le_bytes());
        self
    }

    /// A little-endian `u64`.
    pub fn u64(&mut self, v: u64) -> &mut Self {
        self.buf.extend_from_slice(&v.to_le_bytes());
        self
    }

    /// A little-endian `i64`.
    pub fn i64(&mut self, v: i64) -> &mut Self {
        self.buf.extend_from_slice(&v.to_le_bytes());
        self
    }

    /// Fixed-size bytes, no length prefix.
    pub fn fixed(&mut self, v: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(v);
        self
    }

    /// Length-prefixed bytes. Callers keep lengths within the matching reader's maximum;
    /// values longer than `u32::MAX` cannot occur because every field is bounded far below it.
    pub fn bytes(&mut self, v: &[u8]) -> &mut Self {
        let len = u32::try_from(v.len()).unwrap_or(u32::MAX);
        self.u32(len);
        self.buf.extend_from_slice(v);
        self
    }

    /// A length-prefixed UTF-8 string.
    pub fn str(&mut self, v: &str) -> &mut Self {
        self.bytes(v.as_bytes())
    }

    /// The encoded bytes.
    pub fn finish(self) -> Vec<u8> {
        self.buf
    }
}

/// Reads canonical fields from a byte slice without panicking.
#[derive(Debug)]
pub struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    /// A reader over `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        Self { rest: bytes }
    }

    /// Takes exactly `n` bytes.
    pub fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], DecodeError> {
        if self.rest.len() < n {
            return Err(DecodeError::Truncated { what, needed: n - self.rest.len() });
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    /// Takes a fixed-size array.
    pub fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], DecodeError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, what)?);
        Ok(out)
    }

    /// One byte.
    pub fn u8(&mut self, what: &'static str) -> Result<u8, DecodeError> {
        Ok(self.array::<1>(what)?[0])
    }

    /// A boolean; only `0` and `1` are accepted.
    pub fn bool(&mut self, what: &'static str) -> Result<bool, DecodeError> {
        match self.u8(what)? {
            0 => Ok(false),
            1 => Ok(true),
            other => Err(DecodeError::invalid(what, format!("boolean byte {other}"))),
        }
    }

    /// A little-endian `u32`.
    pub fn u32(&mut self, what: &'static str) -> Result<u32, DecodeError> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }

    /// A little-endian `u64`.
    pub fn u64(&mut self, what: &'static str) -> Result<u64, DecodeError> {
        Ok(u64::from_le_bytes(self.array(what)?))
    }

    /// A little-endian `i64`.
    pub fn i64(&mut self, what: &'static str) -> Result<i64, DecodeError> {
        Ok(i64::from_le_bytes(self.array(what)?))
    }

    /// Length-prefixed bytes of at most `max` bytes; the length is checked before reading.
    pub fn bytes(&mut self, max: usize, what: &'static str) -> Result<&'a [u8], DecodeError> {
        let len = usize::try_from(self.u32(what)?).unwrap_or(usize::MAX);
        if len > max {
            return Err(DecodeError::TooLong { what, len, max });
        }
        self.take(len, what)
    }

    /// A length-prefixed UTF-8 string of at most `max` bytes.
    pub fn str(&mut self, max: usize, what: &'static str) -> Result<&'a str, DecodeError> {
        let raw = self.bytes(max, what)?;
        std::str::from_utf8(raw).map_err(|e| DecodeError::invalid(what, e.to_string()))
    }

    /// How many bytes are left.
    pub fn remaining(&self) -> usize {
        self.rest.len()
    }

    /// Fails unless every byte was consumed.
    pub fn finish(self) -> Result<(), DecodeError> {
        if self.rest.is_empty() { Ok(()) } else { Err(DecodeError::TrailingBytes(self.rest.len())) }
    }
}

/// Lower-case hexadecimal of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        for nibble in [b >> 4, b & 0xf] {
            s.push(char::from(DIGITS.get(usize::from(nibble)).copied().unwrap_or(b'0')));
        }
    }
    s
}

/// Parses lower- or upper-case hexadecimal into exactly `N` bytes.
pub fn unhex<const N: usize>(s: &str) -> Result<[u8; N], DecodeError> {
    let digits = s.as_bytes();
    if digits.len() != N * 2 {
        return Err(DecodeError::invalid("hex", format!("expected {} digits, got {}", N * 2, digits.len())));
    }
    let mut out = [0u8; N];
    for (slot, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
        let nibble = |c: u8| match c {
            b'0'..=b'9' => Ok(c - b'0'),
            b'a'..=b'f' => Ok(c - b'a' + 10),
            b'A'..=b'F' => Ok(c - b'A' + 10),
            _ => Err(DecodeError::invalid("hex", format!("not a hex digit: {:?}", char::from(c)))),
        };
        let (hi, lo) = match pair {
            [hi, lo] => (*hi, *lo),
            _ => return Err(DecodeError::invalid("hex", "odd length")),
        };
        *slot = (nibble(hi)? << 4) | nibble(lo)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_fields() {
        let mut w = Writer::new();
        w.u8(7).bool(true).u32(9).u64(10).i64(-3).bytes(b"abc").str("सेविका");
        let bytes = w.finish();
        let mut r = Reader::new(&bytes);
        assert_eq!(r.u8("a"), Ok(7));
        assert_eq!(r.bool("b"), Ok(true));
        assert_eq!(r.u32("c"), Ok(9));
        assert_eq!(r.u64("d"), Ok(10));
        assert_eq!(r.i64("e"), Ok(-3));
        assert_eq!(r.bytes(3, "f"), Ok(&b"abc"[..]));
        assert_eq!(r.str(64, "g"), Ok("सेविका"));
        assert_eq!(r.finish(), Ok(()));
    }

    #[test]
    fn length_checked_before_reading() {
        let mut w = Writer::new();
        w.u32(u32::MAX);
        let bytes = w.finish();
        let err = Reader::new(&bytes).bytes(16, "field");
        assert!(matches!(err, Err(DecodeError::TooLong { max: 16, .. })));
    }

    #[test]
    fn hex_round_trip_and_errors() {
        assert_eq!(hex(&[0, 0xab, 0xff]), "00abff");
        assert_eq!(unhex::<3>("00ABff"), Ok([0, 0xab, 0xff]));
        assert!(unhex::<2>("abc").is_err());
        assert!(unhex::<1>("zz").is_err());
    }
}
