//! Attribute validators. Each checks one known value and reports what is wrong at the attribute's
//! path; null and unknown values are left to Terraform (required-ness) and to a later phase.

use super::diagnostics::Diagnostics;
use super::value::{AttributePath, Value};

/// A rule for one attribute's value.
pub trait Validator: Send + Sync {
    /// A sentence fragment for the attribute's documentation, e.g. "Between 1 and 100".
    fn description(&self) -> String;

    /// Checks a value that is neither null nor unknown.
    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics);
}

/// Runs `validator` on `value` unless it is null or unknown.
pub fn run(
    validator: &dyn Validator,
    value: &Value,
    path: &AttributePath,
    diags: &mut Diagnostics,
) {
    if !value.is_null() && !value.is_unknown() {
        validator.validate(value, path, diags);
    }
}

/// An integer within an inclusive range.
pub struct IntBetween(pub i64, pub i64);

impl Validator for IntBetween {
    fn description(&self) -> String {
        format!("A whole number from {} to {}", self.0, self.1)
    }

    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        match value.as_i64() {
            Some(n) if (self.0..=self.1).contains(&n) => {}
            _ => diags.attribute_error(
                path.clone(),
                "Value out of range",
                format!(
                    "{path} must be a whole number from {} to {}, got {}.",
                    self.0,
                    self.1,
                    value.to_display()
                ),
            ),
        }
    }
}

/// A string among a fixed set.
pub struct OneOf(pub &'static [&'static str]);

impl Validator for OneOf {
    fn description(&self) -> String {
        let quoted: Vec<String> = self.0.iter().map(|s| format!("`{s}`")).collect();
        format!("One of {}", quoted.join(", "))
    }

    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        let s = value.as_str().unwrap_or_default();
        if !self.0.contains(&s) {
            diags.attribute_error(
                path.clone(),
                "Invalid value",
                format!("{path} must be one of {}, got {s:?}.", self.0.join(", ")),
            );
        }
    }
}

/// A string checked by a function returning the reason it is invalid.
pub struct StringRule {
    pub description: &'static str,
    pub summary: &'static str,
    pub check: fn(&str) -> Result<(), String>,
}

impl Validator for StringRule {
    fn description(&self) -> String {
        self.description.to_string()
    }

    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        if let Some(s) = value.as_str() {
            if let Err(reason) = (self.check)(s) {
                diags.attribute_error(path.clone(), self.summary, format!("{path}: {reason}"));
            }
        }
    }
}

/// A list of strings, at most `max_items`, each checked by `check`, none twice.
pub struct ListOf {
    pub description: &'static str,
    pub max_items: usize,
    pub check: fn(&str) -> Result<(), String>,
}

impl Validator for ListOf {
    fn description(&self) -> String {
        format!("At most {} {}, each once", self.max_items, self.description)
    }

    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        let Some(items) = value.as_list() else { return };
        if items.len() > self.max_items {
            diags.attribute_error(
                path.clone(),
                "Too many items",
                format!(
                    "{path} has {} items; at most {} are allowed.",
                    items.len(),
                    self.max_items
                ),
            );
        }
        let mut seen = std::collections::BTreeSet::new();
        for (index, item) in items.iter().enumerate() {
            let Some(text) = item.as_str() else { continue };
            let at = path.index(index as i64);
            if let Err(reason) = (self.check)(text) {
                diags.attribute_error(at.clone(), "Invalid value", format!("{at}: {reason}"));
            }
            if !seen.insert(text) {
                diags.attribute_error(
                    at.clone(),
                    "Duplicate value",
                    format!("{at}: {text:?} is listed twice."),
                );
            }
        }
    }
}

/// Every key and value of a map of strings checked by a rule (for tags).
pub struct MapOfStrings {
    pub max_entries: usize,
    pub max_key_len: usize,
    pub max_value_len: usize,
}

impl Validator for MapOfStrings {
    fn description(&self) -> String {
        format!(
            "At most {} entries; keys up to {} characters, values up to {}",
            self.max_entries, self.max_key_len, self.max_value_len
        )
    }

    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        let Value::Map(entries) = value else { return };
        if entries.len() > self.max_entries {
            diags.attribute_error(
                path.clone(),
                "Too many entries",
                format!(
                    "{path} has {} entries; at most {} are allowed.",
                    entries.len(),
                    self.max_entries
                ),
            );
        }
        for (key, v) in entries {
            let at = path.key(key);
            if key.is_empty() || key.chars().count() > self.max_key_len {
                diags.attribute_error(
                    at.clone(),
                    "Invalid key",
                    format!(
                        "keys of {path} must be 1 to {} characters long.",
                        self.max_key_len
                    ),
                );
            }
            if key.starts_with("aws:") {
                diags.attribute_error(
                    at.clone(),
                    "Reserved key",
                    format!("{key:?}: keys starting with \"aws:\" are reserved by AWS."),
                );
            }
            if let Some(s) = v.as_str() {
                if s.chars().count() > self.max_value_len {
                    diags.attribute_error(
                        at,
                        "Value too long",
                        format!(
                            "values of {path} must be at most {} characters long.",
                            self.max_value_len
                        ),
                    );
                }
            }
        }
    }
}

/// A Go-style duration such as `30s`, `10m` or `1h30m`, as `timeouts {}` blocks take.
pub struct Duration;

impl Validator for Duration {
    fn description(&self) -> String {
        String::new()
    }

    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        if let Some(s) = value.as_str() {
            if let Err(reason) = parse_duration(s) {
                diags.attribute_error(
                    path.clone(),
                    "Invalid duration",
                    format!("{path}: {reason}"),
                );
            }
        }
    }
}

/// Parses a duration: a sequence of decimal numbers with units `ms`, `s`, `m` or `h`.
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let bad = || format!("{text:?} is not a duration such as \"30s\", \"10m\" or \"1h30m\"");
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err(bad());
    }
    let mut total = 0f64;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(bad)?;
        if digits == 0 {
            return Err(bad());
        }
        let number: f64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let seconds = match &rest[..unit_len] {
            "ms" => 0.001,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return Err(bad()),
        };
        total += number * seconds;
        rest = &rest[unit_len..];
    }
    if total > 7.0 * 24.0 * 3600.0 {
        return Err(format!("{text:?} is longer than a week"));
    }
    Ok(std::time::Duration::from_secs_f64(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        let ok = [
            ("30s", 30.0),
            ("10m", 600.0),
            ("1h30m", 5400.0),
            ("1.5h", 5400.0),
            ("250ms", 0.25),
        ];
        for (text, secs) in ok {
            assert_eq!(parse_duration(text).unwrap().as_secs_f64(), secs, "{text}");
        }
        for text in ["", "10", "m", "10x", "-5m", "1h 30m", "10mm", "200h"] {
            assert!(parse_duration(text).is_err(), "{text}");
        }
    }

    #[test]
    fn int_between_points_at_the_attribute() {
        let mut diags = Diagnostics::new();
        let path = AttributePath::root().attribute("min_ttl");
        IntBetween(0, 10).validate(&Value::from(11i64), &path, &mut diags);
        assert!(diags.has_errors());
        let d = diags.iter().next().unwrap();
        assert_eq!(d.attribute.as_ref(), Some(&path));
        assert!(d.detail.contains("from 0 to 10"), "{}", d.detail);
        let mut diags = Diagnostics::new();
        IntBetween(0, 10).validate(&Value::from(10i64), &path, &mut diags);
        assert!(diags.is_empty());
    }

    #[test]
    fn tags_rules() {
        let mut diags = Diagnostics::new();
        let tags = Value::Map(
            [
                ("aws:x".to_string(), Value::from("1")),
                ("ok".to_string(), Value::from("x".repeat(300).as_str())),
            ]
            .into_iter()
            .collect(),
        );
        MapOfStrings {
            max_entries: 50,
            max_key_len: 128,
            max_value_len: 256,
        }
        .validate(&tags, &AttributePath::root().attribute("tags"), &mut diags);
        assert_eq!(diags.len(), 2);
    }
}
