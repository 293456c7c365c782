//! Attribute paths and the error type of this module.

use std::fmt;

/// One step of an [`AttributePath`], mirroring the protocol's
/// `AttributePath.Step`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PathStep {
    /// An object attribute.
    Attribute(String),
    /// A map element.
    ElementKeyString(String),
    /// A list or tuple element; for sets, the position of the element in the
    /// canonical set order (sets have no real element addresses).
    ElementKeyInt(i64),
}

/// A path from the root of a value to a nested value.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AttributePath(pub Vec<PathStep>);

impl AttributePath {
    /// The empty path (the root value itself).
    pub fn root() -> AttributePath {
        AttributePath(Vec::new())
    }

    /// A copy of this path extended by an attribute step.
    pub fn attribute(&self, name: impl Into<String>) -> AttributePath {
        self.child(PathStep::Attribute(name.into()))
    }

    /// A copy of this path extended by a map key step.
    pub fn key(&self, key: impl Into<String>) -> AttributePath {
        self.child(PathStep::ElementKeyString(key.into()))
    }

    /// A copy of this path extended by a list/tuple/set index step.
    pub fn index(&self, index: i64) -> AttributePath {
        self.child(PathStep::ElementKeyInt(index))
    }

    /// A copy of this path extended by `step`.
    pub fn child(&self, step: PathStep) -> AttributePath {
        let mut steps = Vec::with_capacity(self.0.len() + 1);
        steps.extend_from_slice(&self.0);
        steps.push(step);
        AttributePath(steps)
    }

    /// Appends `step` to this path in place.
    pub fn push(&mut self, step: PathStep) {
        self.0.push(step);
    }

    /// The path without its last step (`None` at the root).
    pub fn parent(&self) -> Option<AttributePath> {
        let (_, init) = self.0.split_last()?;
        Some(AttributePath(init.to_vec()))
    }

    /// The last step, if any.
    pub fn last(&self) -> Option<&PathStep> {
        self.0.last()
    }

    /// The steps of the path, outermost first.
    pub fn steps(&self) -> &[PathStep] {
        &self.0
    }

    /// Is this the root path?
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<Vec<PathStep>> for AttributePath {
    fn from(steps: Vec<PathStep>) -> AttributePath {
        AttributePath(steps)
    }
}

/// Terraform-style rendering: `rule[0].ports["http"]`. A leading element
/// step renders as `[0]…`; the root path renders as the empty string.
impl fmt::Display for AttributePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.0.iter().enumerate() {
            match step {
                PathStep::Attribute(name) if i == 0 => f.write_str(name)?,
                PathStep::Attribute(name) => write!(f, ".{name}")?,
                PathStep::ElementKeyString(key) => write!(f, "[{key:?}]")?,
                PathStep::ElementKeyInt(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

/// An error from encoding, decoding or checking a value, with the path of
/// the offending nested value.
///
/// Displays as `attribute "tags": expected string, got number` when the
/// path starts with an attribute (further steps follow the quoted name,
/// e.g. `attribute "rule"[0].port: …`), `at [2]: …` when it starts with an
/// element step, and just the message at the root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValueError {
    /// Where the error happened, relative to the value being processed.
    pub path: AttributePath,
    /// What went wrong.
    pub message: String,
}

impl ValueError {
    /// An error at the root path.
    pub fn new(message: impl Into<String>) -> ValueError {
        ValueError {
            path: AttributePath::root(),
            message: message.into(),
        }
    }

    /// An error at the given path.
    pub fn at(path: AttributePath, message: impl Into<String>) -> ValueError {
        ValueError {
            path,
            message: message.into(),
        }
    }

    /// The error with `step` prepended to its path, used while unwinding out
    /// of nested values.
    pub fn within(mut self, step: PathStep) -> ValueError {
        self.path.0.insert(0, step);
        self
    }

    /// The path of the offending value.
    pub fn path(&self) -> &AttributePath {
        &self.path
    }

    /// The message without the path.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.path.0.split_first() {
            None => f.write_str(&self.message),
            Some((PathStep::Attribute(name), rest)) => {
                write!(f, "attribute {name:?}")?;
                // Render the remaining steps as a path continuing the name.
                let rest = AttributePath(rest.to_vec());
                if let Some(PathStep::Attribute(_)) = rest.0.first() {
                    f.write_str(".")?;
                }
                write!(f, "{rest}: {}", self.message)
            }
            Some(_) => write!(f, "at {}: {}", self.path, self.message),
        }
    }
}

impl std::error::Error for ValueError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_display() {
        assert_eq!(AttributePath::root().to_string(), "");
        let p = AttributePath::root()
            .attribute("rule")
            .index(0)
            .attribute("ports")
            .key("http");
        assert_eq!(p.to_string(), "rule[0].ports[\"http\"]");
        assert_eq!(
            AttributePath::root().index(3).attribute("a").to_string(),
            "[3].a"
        );
        // Extending does not change the original.
        let root = AttributePath::root().attribute("a");
        let (b, c) = (root.attribute("b"), root.key("c"));
        assert_eq!(root.steps().len(), 1);
        assert_eq!(b.to_string(), "a.b");
        assert_eq!(c.to_string(), "a[\"c\"]");
        assert_eq!(b.parent(), Some(root.clone()));
        assert_eq!(b.last(), Some(&PathStep::Attribute("b".into())));
        assert_eq!(AttributePath::root().parent(), None);
        let mut pushed = root.clone();
        pushed.push(PathStep::ElementKeyInt(2));
        assert_eq!(pushed, root.index(2));
        assert_eq!(pushed, root.child(PathStep::ElementKeyInt(2)));
        assert_eq!(
            AttributePath::from(vec![PathStep::ElementKeyInt(1)]).to_string(),
            "[1]"
        );
    }

    #[test]
    fn error_display() {
        let e = ValueError::at(
            AttributePath::root().attribute("tags"),
            "expected string, got number",
        );
        assert_eq!(
            e.to_string(),
            "attribute \"tags\": expected string, got number"
        );
        let e = ValueError::new("boom")
            .within(PathStep::Attribute("port".into()))
            .within(PathStep::ElementKeyInt(0))
            .within(PathStep::Attribute("rule".into()));
        assert_eq!(e.to_string(), "attribute \"rule\"[0].port: boom");
        assert_eq!(e.path().steps().len(), 3);
        let e = ValueError::new("boom")
            .within(PathStep::Attribute("b".into()))
            .within(PathStep::Attribute("a".into()));
        assert_eq!(e.to_string(), "attribute \"a\".b: boom");
        let e = ValueError::new("boom").within(PathStep::ElementKeyString("k".into()));
        assert_eq!(e.to_string(), "at [\"k\"]: boom");
        assert_eq!(ValueError::new("boom").to_string(), "boom");
        assert_eq!(ValueError::new("boom").message(), "boom");
    }
}
