//! Arbitrary-precision decimal numbers for the `number` type.
//!
//! Terraform numbers are arbitrary-precision (go-cty stores them as 512-bit
//! `big.Float`s parsed from decimal text). This module stores them as exact
//! decimals instead: a sign, a coefficient made of decimal digits and a power
//! of ten. No operation here silently rounds through `f64`.
//!
//! # Canonical form
//!
//! Every number has exactly one representation:
//!
//! * zero is `negative = false`, no digits, exponent 0 (there is no `-0`);
//! * otherwise the coefficient has no leading and no trailing zero digits,
//!   and the value is `(-1)^negative × coefficient × 10^exponent`.
//!
//! Because of that, the derived `PartialEq`/`Hash` agree with numeric
//! equality (`1.50 == 1.5 == 15e-1`), and `Ord` is implemented numerically.
//!
//! # Text form
//!
//! [`Number::parse`] accepts `[+-]digits[.digits][(e|E)[+-]digits]` (a
//! leading or trailing `.` such as `.5` or `5.` is accepted as go's
//! `big.ParseFloat` does; `inf`/`nan` are rejected).
//!
//! `Display` prints plain decimal notation (what go-cty's
//! `big.Float.Text('f', -1)` prints) whenever the decimal exponent of the
//! leading digit lies within ±[`PLAIN_NOTATION_LIMIT`]: `180`, `0.5`,
//! `-0.0001`, `1` followed by 400 zeros for 1e400. Outside that range (which
//! would need more than a thousand padding zeros) it prints scientific
//! notation with an explicit exponent sign: `1e+2000`, `-1.25e-5000`. Both
//! forms are valid JSON numbers and are accepted by go-cty's number parser.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use super::ValueError;

/// Numbers whose leading digit sits at a decimal exponent within this bound
/// (inclusive) are displayed in plain decimal notation; others use
/// scientific notation.
pub const PLAIN_NOTATION_LIMIT: i64 = 1000;

/// Largest accepted magnitude of the decimal exponent of a number's leading
/// digit. Keeps all exponent arithmetic far away from `i64` overflow while
/// being vastly larger than anything Terraform produces.
pub const MAX_DECIMAL_EXPONENT: i64 = 1_000_000_000;

/// An exact, arbitrary-precision decimal number in canonical form.
///
/// See the [module documentation](self) for the canonical form and the
/// text representation.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Number {
    negative: bool,
    /// ASCII digits, first and last digit non-zero; empty for zero.
    digits: Box<str>,
    exponent: i64,
}

impl Number {
    /// The number zero.
    pub fn zero() -> Number {
        Number {
            negative: false,
            digits: Box::from(""),
            exponent: 0,
        }
    }

    /// Parses a decimal number such as `-12`, `0.5`, `1e400` or
    /// `0.1000000000000000000001`.
    pub fn parse(text: &str) -> Result<Number, ValueError> {
        parse_decimal(text).ok_or_else(|| {
            ValueError::new(format!("{} is not a valid number", quote_for_error(text)))
        })
    }

    /// Builds a number from its parts, normalizing them. `digits` must be
    /// ASCII decimal digits (checked by the callers in this module).
    fn from_parts(negative: bool, digits: &[u8], exponent: i64) -> Option<Number> {
        let first_nonzero = digits.iter().position(|&d| d != b'0');
        let Some(start) = first_nonzero else {
            return Some(Number::zero());
        };
        // `rposition` finds something because `position` did.
        let end = digits.iter().rposition(|&d| d != b'0').unwrap_or(start) + 1;
        let trailing = i64::try_from(digits.len() - end).ok()?;
        let exponent = exponent.checked_add(trailing)?;
        let coefficient = &digits[start..end];
        let number = Number {
            negative,
            digits: Box::from(std::str::from_utf8(coefficient).ok()?),
            exponent,
        };
        let adjusted = number.adjusted_exponent();
        if !(-MAX_DECIMAL_EXPONENT..=MAX_DECIMAL_EXPONENT).contains(&adjusted) {
            return None;
        }
        Some(number)
    }

    /// Is this number zero?
    pub fn is_zero(&self) -> bool {
        self.digits.is_empty()
    }

    /// Is this number strictly negative?
    pub fn is_negative(&self) -> bool {
        self.negative
    }

    /// Does this number have no fractional part?
    pub fn is_integer(&self) -> bool {
        self.exponent >= 0
    }

    /// The decimal exponent of the leading digit (`0` for zero), i.e. the
    /// `e` of the scientific form `d.ddd × 10^e`.
    fn adjusted_exponent(&self) -> i64 {
        if self.is_zero() {
            return 0;
        }
        // Digit counts are bounded by memory, so this cannot overflow.
        self.exponent + self.digits.len() as i64 - 1
    }

    /// The plain decimal integer text (with sign) if this is an integer of at
    /// most `max_digits` digits.
    fn integer_text(&self, max_digits: i64) -> Option<String> {
        if self.is_zero() {
            return Some("0".to_owned());
        }
        if !self.is_integer() || self.adjusted_exponent() >= max_digits {
            return None;
        }
        let mut text = String::with_capacity(max_digits as usize + 1);
        if self.negative {
            text.push('-');
        }
        text.push_str(&self.digits);
        for _ in 0..self.exponent {
            text.push('0');
        }
        Some(text)
    }

    /// The number as an `i64`, if it is an integer in range.
    pub fn to_i64(&self) -> Option<i64> {
        self.integer_text(20)?.parse().ok()
    }

    /// The number as a `u64`, if it is a non-negative integer in range.
    pub fn to_u64(&self) -> Option<u64> {
        if self.negative {
            return None;
        }
        self.integer_text(21)?.parse().ok()
    }

    /// The `f64` nearest to this number (correctly rounded). Numbers beyond
    /// the `f64` range become ±infinity, tiny ones ±0.
    pub fn to_f64(&self) -> f64 {
        if self.is_zero() {
            return 0.0;
        }
        let sign = if self.negative { "-" } else { "" };
        let text = format!("{sign}{}e{}", self.digits, self.exponent);
        // The text is always well-formed; the fallback is unreachable.
        text.parse::<f64>().unwrap_or(f64::NAN)
    }

    /// The `f64` that is *exactly* equal to this number, if there is one and
    /// the number is not an integer.
    ///
    /// This is the condition go-cty uses to encode a number as a msgpack
    /// float: `0.5` and `0.375` qualify, `0.1` does not (no binary float is
    /// exactly one tenth), and integers never do (they are encoded as
    /// msgpack integers when they fit in `i64`, else as strings).
    pub fn to_f64_exact(&self) -> Option<f64> {
        if self.is_integer() {
            return None;
        }
        // value = D / 10^n = D / (2^n · 5^n). It is a binary fraction iff
        // 5^n divides D; then value = M / 2^n with M = D / 5^n, and since
        // D has no trailing zero M is odd. That is representable in f64 iff
        // M < 2^53 and n <= 1074 (the smallest subnormal is 2^-1074).
        let n = self.exponent.checked_neg()?;
        if n > 1074 {
            return None;
        }
        // D = M · 5^n < 2^53 · 5^n, so D has at most 16 + ceil(n·log10 5)
        // digits; reject longer coefficients before doing any division.
        let max_digits = 17.0 + (n as f64) * (1.0 - std::f64::consts::LOG10_2);
        if self.digits.len() as f64 > max_digits {
            return None;
        }
        let mut coefficient: Vec<u8> = self.digits.bytes().map(|d| d - b'0').collect();
        let mut remaining = n;
        while remaining > 0 {
            let step = remaining.min(13);
            // 5^13 = 1_220_703_125; remainder·10 + 9 stays well within u64.
            let divisor = 5u64.pow(step as u32);
            if !divide_in_place(&mut coefficient, divisor) {
                return None;
            }
            remaining -= step;
        }
        let mut m: u64 = 0;
        for &digit in &coefficient {
            m = m.checked_mul(10)?.checked_add(u64::from(digit))?;
        }
        if m >= 1 << 53 {
            return None;
        }
        // Exactly representable, so the correctly rounded conversion is exact.
        Some(self.to_f64())
    }
}

/// Divides a big-endian decimal digit vector by `divisor` in place; returns
/// false (leaving garbage) if the division is not exact.
fn divide_in_place(digits: &mut [u8], divisor: u64) -> bool {
    let mut remainder = 0u64;
    for digit in digits.iter_mut() {
        let current = remainder * 10 + u64::from(*digit);
        // current / divisor < 10 because remainder < divisor.
        *digit = (current / divisor) as u8;
        remainder = current % divisor;
    }
    remainder == 0
}

fn quote_for_error(text: &str) -> String {
    const MAX: usize = 64;
    if text.len() <= MAX {
        format!("{text:?}")
    } else {
        let mut end = MAX;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        format!("{:?}...", &text[..end])
    }
}

fn parse_decimal(text: &str) -> Option<Number> {
    let bytes = text.as_bytes();
    let mut pos = 0;
    let mut negative = false;
    match bytes.first() {
        Some(b'-') => {
            negative = true;
            pos = 1;
        }
        Some(b'+') => pos = 1,
        _ => {}
    }
    let int_start = pos;
    while pos < bytes.len() && bytes[pos].is_ascii_digit() {
        pos += 1;
    }
    let int_digits = &bytes[int_start..pos];
    let mut frac_digits: &[u8] = &[];
    if pos < bytes.len() && bytes[pos] == b'.' {
        pos += 1;
        let frac_start = pos;
        while pos < bytes.len() && bytes[pos].is_ascii_digit() {
            pos += 1;
        }
        frac_digits = &bytes[frac_start..pos];
    }
    if int_digits.is_empty() && frac_digits.is_empty() {
        return None;
    }
    let mut exponent: i64 = 0;
    if pos < bytes.len() && (bytes[pos] == b'e' || bytes[pos] == b'E') {
        pos += 1;
        let mut exp_negative = false;
        match bytes.get(pos) {
            Some(b'-') => {
                exp_negative = true;
                pos += 1;
            }
            Some(b'+') => pos += 1,
            _ => {}
        }
        let exp_start = pos;
        while pos < bytes.len() && bytes[pos].is_ascii_digit() {
            // Saturate far beyond the accepted range; range is checked later.
            let digit = i64::from(bytes[pos] - b'0');
            exponent = exponent
                .saturating_mul(10)
                .saturating_add(digit)
                .min(1 << 62);
            pos += 1;
        }
        if pos == exp_start {
            return None;
        }
        if exp_negative {
            exponent = -exponent;
        }
    }
    if pos != bytes.len() {
        return None;
    }
    let frac_len = i64::try_from(frac_digits.len()).ok()?;
    let mut all_digits = Vec::with_capacity(int_digits.len() + frac_digits.len());
    all_digits.extend_from_slice(int_digits);
    all_digits.extend_from_slice(frac_digits);
    let number = Number::from_parts(negative, &all_digits, exponent.checked_sub(frac_len)?)?;
    // A huge exponent is fine when the coefficient is zero ("0e999999999999").
    Some(number)
}

impl FromStr for Number {
    type Err = ValueError;

    fn from_str(text: &str) -> Result<Number, ValueError> {
        Number::parse(text)
    }
}

impl Default for Number {
    fn default() -> Number {
        Number::zero()
    }
}

impl From<i64> for Number {
    fn from(value: i64) -> Number {
        let text = value.unsigned_abs().to_string();
        Number::from_parts(value < 0, text.as_bytes(), 0).unwrap_or_default()
    }
}

impl From<u64> for Number {
    fn from(value: u64) -> Number {
        Number::from_parts(false, value.to_string().as_bytes(), 0).unwrap_or_default()
    }
}

impl From<i32> for Number {
    fn from(value: i32) -> Number {
        Number::from(i64::from(value))
    }
}

impl From<u32> for Number {
    fn from(value: u32) -> Number {
        Number::from(u64::from(value))
    }
}

impl TryFrom<f64> for Number {
    type Error = ValueError;

    /// Converts a finite float to the number with the *shortest* decimal
    /// representation that rounds back to the same float (so `0.1f64`
    /// becomes exactly `0.1`, not `0.1000000000000000055…`). NaN and
    /// infinities are rejected.
    fn try_from(value: f64) -> Result<Number, ValueError> {
        if !value.is_finite() {
            return Err(ValueError::new(format!(
                "{value} cannot be represented as a Terraform number"
            )));
        }
        if value == 0.0 {
            return Ok(Number::zero());
        }
        // `{:e}` prints the shortest round-tripping digits.
        parse_decimal(&format!("{value:e}")).ok_or_else(|| {
            ValueError::new(format!(
                "{value} cannot be represented as a Terraform number"
            ))
        })
    }
}

impl Ord for Number {
    fn cmp(&self, other: &Number) -> Ordering {
        fn signum(n: &Number) -> i8 {
            if n.is_zero() {
                0
            } else if n.negative {
                -1
            } else {
                1
            }
        }
        let (a, b) = (signum(self), signum(other));
        if a != b || a == 0 {
            return a.cmp(&b);
        }
        let magnitude = self
            .adjusted_exponent()
            .cmp(&other.adjusted_exponent())
            // Same leading exponent: compare digit strings; with no trailing
            // zeros, a longer string with an equal prefix is larger.
            .then_with(|| self.digits.as_bytes().cmp(other.digits.as_bytes()));
        if self.negative {
            magnitude.reverse()
        } else {
            magnitude
        }
    }
}

impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Number) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_zero() {
            return f.write_str("0");
        }
        if self.negative {
            f.write_str("-")?;
        }
        let digits: &str = &self.digits;
        let adjusted = self.adjusted_exponent();
        if adjusted.abs() > PLAIN_NOTATION_LIMIT {
            let (first, rest) = digits.split_at(1);
            f.write_str(first)?;
            if !rest.is_empty() {
                write!(f, ".{rest}")?;
            }
            let sign = if adjusted < 0 { '-' } else { '+' };
            return write!(f, "e{sign}{}", adjusted.unsigned_abs());
        }
        if self.exponent >= 0 {
            f.write_str(digits)?;
            for _ in 0..self.exponent {
                f.write_str("0")?;
            }
            return Ok(());
        }
        // Number of digits before the decimal point (may be <= 0).
        let point = digits.len() as i64 + self.exponent;
        if point > 0 {
            let (int_part, frac_part) = digits.split_at(point as usize);
            write!(f, "{int_part}.{frac_part}")
        } else {
            f.write_str("0.")?;
            for _ in 0..-point {
                f.write_str("0")?;
            }
            f.write_str(digits)
        }
    }
}

impl fmt::Debug for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Number({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn n(text: &str) -> Number {
        Number::parse(text).unwrap()
    }

    #[test]
    fn parse_and_display_table() {
        let cases = [
            ("0", "0"),
            ("-0", "0"),
            ("+0.000", "0"),
            ("0e999999999999999", "0"),
            ("180", "180"),
            ("+180", "180"),
            ("007", "7"),
            ("1.50", "1.5"),
            ("15e-1", "1.5"),
            ("0.5", "0.5"),
            (".5", "0.5"),
            ("5.", "5"),
            ("-0.0001", "-0.0001"),
            ("1E3", "1000"),
            ("1e+3", "1000"),
            ("12.345e1", "123.45"),
            ("0.1000000000000000000001", "0.1000000000000000000001"),
            ("-9223372036854775808", "-9223372036854775808"),
            ("18446744073709551615", "18446744073709551615"),
            ("1e1000", &format!("1{}", "0".repeat(1000))),
            ("1e1001", "1e+1001"),
            ("-1.25e2000", "-1.25e+2000"),
            ("1e-1000", &format!("0.{}1", "0".repeat(999))),
            ("1e-1001", "1e-1001"),
            ("123e-1003", "1.23e-1001"),
        ];
        for (input, want) in cases {
            assert_eq!(n(input).to_string(), want, "input {input}");
            // Display output re-parses to the same number.
            assert_eq!(n(&n(input).to_string()), n(input), "input {input}");
        }
        let four_hundred = n("1e400").to_string();
        assert_eq!(four_hundred.len(), 401);
        assert!(four_hundred.starts_with('1') && four_hundred[1..].bytes().all(|b| b == b'0'));
    }

    #[test]
    fn exponents_of_any_length_neither_overflow_nor_panic() {
        let long = "9".repeat(40);
        for text in [
            format!("1e{long}"),
            format!("1e-{long}"),
            format!("0e{long}"),
        ] {
            // Out of range or zero, but never a panic.
            let _ = Number::parse(&text);
        }
        assert_eq!(Number::parse(&format!("0e{long}")), Number::parse("0"));
    }

    #[test]
    fn parse_rejects_malformed() {
        for bad in [
            "",
            "-",
            "+",
            ".",
            "e5",
            "1e",
            "1e+",
            "1.2.3",
            "1,5",
            " 1",
            "1 ",
            "0x10",
            "inf",
            "-Inf",
            "NaN",
            "1_000",
            "--1",
            "1e5.5",
            "١",
            "1e2000000000",
        ] {
            let err = Number::parse(bad).unwrap_err();
            assert!(
                err.to_string().contains("not a valid number"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn integer_conversions() {
        assert_eq!(Number::from(i64::MIN).to_string(), "-9223372036854775808");
        assert_eq!(Number::from(i64::MIN).to_i64(), Some(i64::MIN));
        assert_eq!(Number::from(i64::MAX).to_i64(), Some(i64::MAX));
        assert_eq!(Number::from(u64::MAX).to_string(), "18446744073709551615");
        assert_eq!(Number::from(u64::MAX).to_i64(), None);
        assert_eq!(Number::from(u64::MAX).to_u64(), Some(u64::MAX));
        assert_eq!(n("18446744073709551616").to_u64(), None);
        assert_eq!(Number::from(-1).to_u64(), None);
        assert_eq!(n("1e18").to_i64(), Some(1_000_000_000_000_000_000));
        assert_eq!(n("1e19").to_i64(), None);
        assert_eq!(n("1e400").to_i64(), None);
        assert_eq!(n("1.5").to_i64(), None);
        assert_eq!(n("150e-2").to_i64(), None);
        assert_eq!(n("1500e-2").to_i64(), Some(15));
        assert_eq!(Number::from(0).to_i64(), Some(0));
        assert_eq!(Number::from(0u32), Number::zero());
        assert_eq!(Number::from(-0i32), Number::zero());
    }

    #[test]
    fn float_conversions() {
        assert_eq!(Number::try_from(0.1).unwrap(), n("0.1"));
        assert_eq!(Number::try_from(-0.0).unwrap(), Number::zero());
        assert_eq!(Number::try_from(1e300).unwrap(), n("1e300"));
        assert_eq!(Number::try_from(5e-324).unwrap(), n("5e-324"));
        assert_eq!(Number::try_from(2.0).unwrap(), Number::from(2));
        assert!(Number::try_from(f64::NAN).is_err());
        assert!(Number::try_from(f64::INFINITY).is_err());
        assert!(Number::try_from(f64::NEG_INFINITY).is_err());
        assert_eq!(n("0.1").to_f64(), 0.1);
        assert_eq!(n("1e400").to_f64(), f64::INFINITY);
        assert_eq!(n("-1e400").to_f64(), f64::NEG_INFINITY);
        assert_eq!(n("1e-400").to_f64(), 0.0);
        assert_eq!(n("1e-999999999").to_f64(), 0.0);
        assert_eq!(n("1e999999999").to_f64(), f64::INFINITY);
        assert_eq!(n("0.1000000000000000000001").to_f64(), 0.1);
    }

    #[test]
    fn exact_float_detection() {
        let exact = [
            ("0.5", 0.5),
            ("-0.375", -0.375),
            ("1.25", 1.25),
            (
                "0.1000000000000000055511151231257827021181583404541015625",
                0.1,
            ),
        ];
        for (text, want) in exact {
            assert_eq!(n(text).to_f64_exact(), Some(want), "{text}");
        }
        // The exact expansions of extreme floats (Rust prints exact digits
        // when asked for enough of them).
        for f in [5e-324, -2.2250738585072014e-308, 1.5e-300, 0.1, 1e-5] {
            let text = format!("{f:.800e}");
            assert_eq!(n(&text).to_f64_exact(), Some(f), "{text}");
        }
        let inexact = [
            "0.1",
            "0.1000000000000000000001",
            "1",
            "4", // integers never qualify
            "1e400",
            "0.3",
            "1e-1075",
            // 2^-1075 is below the smallest subnormal.
            "2.4703282292062327208828439643411068618252990130716238221279284125033775363510437593264991818081799618989828234772285886546332835517796989819938739800539093906315035659515570226392290858392449105184435931802849936536152500319370457678249219365623669863658480757001585769269903706311928279558551332927834338409351978015531246597263579574622766465272827220056374006485499977096599470454020828166226237857393450736339007967761930577506740176324673600968951340535537458516661134223766678604162159680461914467291840300530057530849048765391711386591646239524912623653881879636239373280423891018672348497668235089863388587925628302755995657524455507255189313690836254779186948667994968324049705821028513185451396213837722826145437693412532098591327667236328125e-324",
            // 2^53 + 1 over 2: needs 54 bits.
            "4503599627370496.5",
        ];
        for text in inexact {
            assert_eq!(n(text).to_f64_exact(), None, "{text}");
        }
        // 2^53 - 1 over 2 fits in 53 bits.
        assert_eq!(
            n("4503599627370495.5").to_f64_exact(),
            Some(4503599627370495.5)
        );
    }

    #[test]
    fn ordering_is_numeric() {
        let sorted = [
            "-1e400",
            "-100",
            "-1.5",
            "-1",
            "-0.5",
            "-1e-400",
            "0",
            "1e-400",
            "0.1",
            "0.1000000000000000000001",
            "0.5",
            "1",
            "1.5",
            "2",
            "10",
            "100",
            "1e400",
        ];
        for (i, a) in sorted.iter().enumerate() {
            for (j, b) in sorted.iter().enumerate() {
                assert_eq!(n(a).cmp(&n(b)), i.cmp(&j), "{a} vs {b}");
            }
        }
        assert_eq!(n("1.50"), n("1.5"));
        assert_eq!(n("1.50").cmp(&n("15e-1")), Ordering::Equal);
    }

    proptest! {
        #[test]
        fn i64_round_trips(v in any::<i64>()) {
            let num = Number::from(v);
            prop_assert_eq!(num.to_i64(), Some(v));
            prop_assert_eq!(num.to_string(), v.to_string());
            prop_assert_eq!(n(&v.to_string()), num);
        }

        #[test]
        fn u64_round_trips(v in any::<u64>()) {
            let num = Number::from(v);
            prop_assert_eq!(num.to_u64(), Some(v));
            prop_assert_eq!(num.to_string(), v.to_string());
        }

        #[test]
        fn f64_round_trips(v in any::<f64>().prop_filter("finite", |v| v.is_finite())) {
            let num = Number::try_from(v).unwrap();
            prop_assert_eq!(num.to_f64(), v);
            // Shortest representation: Rust's Display prints the same digits.
            prop_assert_eq!(Number::parse(&format!("{v}")).unwrap(), num.clone());
            // The exact decimal expansion of a non-integral float is
            // recognized as exactly representable; the shortest form only
            // when it happens to be the exact value.
            if v.fract() != 0.0 {
                let exact = n(&format!("{v:.800e}"));
                prop_assert_eq!(exact.to_f64_exact().map(f64::to_bits), Some(v.to_bits()));
                if let Some(f) = num.to_f64_exact() {
                    prop_assert_eq!(f.to_bits(), v.to_bits());
                    prop_assert_eq!(exact, num);
                }
            } else {
                prop_assert_eq!(num.to_f64_exact(), None);
            }
        }

        #[test]
        fn ordering_matches_f64(a in -1e6f64..1e6, b in -1e6f64..1e6) {
            let (na, nb) = (Number::try_from(a).unwrap(), Number::try_from(b).unwrap());
            prop_assert_eq!(na.cmp(&nb), a.partial_cmp(&b).unwrap());
        }

        #[test]
        fn text_round_trips(
            negative in any::<bool>(),
            int_part in "[0-9]{0,40}",
            frac_part in "[0-9]{0,40}",
            exponent in -1500i64..1500,
        ) {
            prop_assume!(!(int_part.is_empty() && frac_part.is_empty()));
            let text = format!("{}{}.{}e{}", if negative { "-" } else { "" }, int_part, frac_part, exponent);
            let num = n(&text);
            let shown = num.to_string();
            prop_assert_eq!(n(&shown), num.clone());
            prop_assert_eq!(n(&shown).to_string(), shown);
            // Scaling the text by moving the exponent gives an equal number.
            let scaled = format!("{}{}{}e{}", if negative { "-" } else { "" }, int_part, frac_part, exponent - frac_part.len() as i64);
            prop_assert_eq!(n(&scaled), num);
        }
    }
}
