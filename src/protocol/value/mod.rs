//! Terraform's dynamic values (the go-cty type system) and their two wire
//! encodings.
//!
//! * [`Type`] is a Terraform type; its JSON form (`"string"`,
//!   `["list","string"]`, …) appears in schemas and in dynamic values.
//! * [`Value`] is a value of some type, possibly null or unknown at any
//!   depth. Values do not carry their type: it comes from the schema and is
//!   passed separately to the encoders, exactly like go-cty's
//!   `Marshal(val, ty)`/`Unmarshal(bytes, ty)`.
//! * [`msgpack`] is the encoding used by `DynamicValue.msgpack` (plans,
//!   configs, state exchanged over the plugin protocol); it can represent
//!   unknown values.
//! * [`json`] is the encoding used by `DynamicValue.json` and
//!   `RawState.json` (state storage); it cannot represent unknown values.
//!
//! The encodings follow `cty/msgpack` and `cty/json` of
//! `github.com/zclconf/go-cty` and Terraform's
//! `docs/plugin-protocol/object-wire-format.md`; each module documents the
//! details and the places where this implementation is deliberately
//! stricter than go-cty.
//!
//! # Conformance of values to types
//!
//! Encoders check the value against the type and fail with a
//! [`ValueError`] naming the path of the first mismatch
//! ([`Value::conforms_to`] performs the same check without encoding):
//!
//! * `Null` and `Unknown` conform to every type, at any depth.
//! * `Bool`/`Number`/`String` conform to the same primitive type; `List`,
//!   `Set`, `Map` to the same collection kind whose element type every
//!   element conforms to; `Tuple` to a tuple type of the same length;
//!   `Object` to an object type that declares every attribute present in the
//!   value. **Attributes missing from an object value are encoded as null**
//!   (the JSON decoder treats missing attributes the same way).
//! * At a position of type `dynamic`, a [`Value::Dynamic`] carries the
//!   value's real type. For convenience, any other known value at a
//!   `dynamic` position is wrapped with its [implied
//!   type](Value::implied_type) instead, and a `Value::Dynamic` at a
//!   position whose type equals its carried type is unwrapped. Decoders
//!   always produce `Value::Dynamic` at `dynamic` positions (except for null
//!   and unknown, which are not wrapped on the wire either).
//!
//! # Sets
//!
//! `Value::Set` holds its elements in a canonical order: sorted by the
//! derived `Ord` of [`Value`], with duplicate *fully known* elements removed.
//! Elements containing unknowns are never merged, because two unknowns may
//! turn out to be different values (cty keeps them apart too). Use
//! [`Value::set`] (or [`Value::normalized`]) to build sets; decoders produce
//! canonical sets and encoders emit elements in canonical order.

use std::borrow::Cow;
use std::collections::BTreeMap;

pub mod json;
pub mod msgpack;
pub mod number;
pub mod path;
pub mod types;

#[cfg(test)]
mod test_support;

pub use number::Number;
pub use path::{AttributePath, PathStep, ValueError};
pub use types::{ObjectType, Type};

/// Maximum nesting depth of values handled by the encoders and decoders
/// (each collection, object, tuple and dynamic wrapper is one level).
/// Deeper input is rejected instead of risking a stack overflow.
pub const MAX_DEPTH: usize = 256;

/// A Terraform value. See the [module documentation](self) for how values
/// relate to [`Type`]s.
///
/// The derived ordering (variants in declaration order, then contents) is
/// the canonical order of set elements.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Value {
    /// Null, of whatever type the position has.
    #[default]
    Null,
    /// Not known until apply. Refinements that newer Terraform versions
    /// attach to unknown values are dropped on decode.
    Unknown,
    /// A known `bool`.
    Bool(bool),
    /// A known `number`.
    Number(Number),
    /// A known `string`.
    String(String),
    /// A known `list(T)`.
    List(Vec<Value>),
    /// A known `set(T)`; elements in canonical order (see the module
    /// documentation).
    Set(Vec<Value>),
    /// A known `map(T)`.
    Map(BTreeMap<String, Value>),
    /// A known `object({...})`. Attributes absent from the map are treated
    /// as null by the encoders; decoders always fill in every attribute.
    Object(BTreeMap<String, Value>),
    /// A known `tuple([...])`.
    Tuple(Vec<Value>),
    /// A value together with its concrete type, at a position whose schema
    /// type is `dynamic`. The inner value may be null (a typed null) or
    /// unknown.
    Dynamic(Box<Type>, Box<Value>),
}

impl Value {
    /// A string value.
    pub fn string(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }

    /// A number value.
    pub fn number(n: impl Into<Number>) -> Value {
        Value::Number(n.into())
    }

    /// A bool value.
    pub fn bool(b: bool) -> Value {
        Value::Bool(b)
    }

    /// A list value.
    pub fn list(elements: impl IntoIterator<Item = Value>) -> Value {
        Value::List(elements.into_iter().collect())
    }

    /// A set value, with its elements put in canonical order (sorted,
    /// fully known duplicates removed). Elements are expected to be
    /// normalized already (see [`Value::normalized`]).
    pub fn set(elements: impl IntoIterator<Item = Value>) -> Value {
        Value::Set(normalize_set(elements.into_iter().collect()))
    }

    /// A tuple value.
    pub fn tuple(elements: impl IntoIterator<Item = Value>) -> Value {
        Value::Tuple(elements.into_iter().collect())
    }

    /// A map value.
    pub fn map<K: Into<String>>(entries: impl IntoIterator<Item = (K, Value)>) -> Value {
        Value::Map(entries.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// An object value.
    pub fn object<K: Into<String>>(attributes: impl IntoIterator<Item = (K, Value)>) -> Value {
        Value::Object(attributes.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// A value with its concrete type, for a `dynamic` position.
    pub fn dynamic(ty: Type, value: Value) -> Value {
        Value::Dynamic(Box::new(ty), Box::new(value))
    }

    /// The value inside any [`Value::Dynamic`] wrappers.
    pub fn unwrap_dynamic(&self) -> &Value {
        let mut value = self;
        while let Value::Dynamic(_, inner) = value {
            value = inner;
        }
        value
    }

    /// Is this value null (possibly a typed null inside a dynamic wrapper)?
    pub fn is_null(&self) -> bool {
        matches!(self.unwrap_dynamic(), Value::Null)
    }

    /// Is this value itself unknown (possibly inside a dynamic wrapper)?
    pub fn is_unknown(&self) -> bool {
        matches!(self.unwrap_dynamic(), Value::Unknown)
    }

    /// Is this value itself known? (Nested values may still be unknown; see
    /// [`Value::is_fully_known`].)
    pub fn is_known(&self) -> bool {
        !self.is_unknown()
    }

    /// Is there no unknown value anywhere in this value?
    pub fn is_fully_known(&self) -> bool {
        match self {
            Value::Unknown => false,
            Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => true,
            Value::List(vs) | Value::Set(vs) | Value::Tuple(vs) => {
                vs.iter().all(Value::is_fully_known)
            }
            Value::Map(m) | Value::Object(m) => m.values().all(Value::is_fully_known),
            Value::Dynamic(_, v) => v.is_fully_known(),
        }
    }

    /// Does this value contain an unknown value anywhere?
    pub fn contains_unknown(&self) -> bool {
        !self.is_fully_known()
    }

    /// Attribute `name` of an object, or element `name` of a map. Returns
    /// `None` for other values and for absent attributes/keys.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.as_map()?.get(name)
    }

    /// Element `index` of a list, tuple or (canonically ordered) set.
    pub fn index(&self, index: usize) -> Option<&Value> {
        self.as_list()?.get(index)
    }

    /// The nested value at `path`, if every step exists. Integer steps
    /// address lists, tuples and sets; string-key steps address maps;
    /// attribute steps address objects (and maps).
    pub fn get_path(&self, path: &AttributePath) -> Option<&Value> {
        let mut value = self;
        for step in path.steps() {
            value = match (step, value.unwrap_dynamic()) {
                (PathStep::Attribute(name), Value::Object(m) | Value::Map(m))
                | (PathStep::ElementKeyString(name), Value::Map(m)) => m.get(name)?,
                (PathStep::ElementKeyInt(i), v) => v.index(usize::try_from(*i).ok()?)?,
                _ => return None,
            };
        }
        Some(value)
    }

    /// The string, if this is a known string.
    pub fn as_str(&self) -> Option<&str> {
        match self.unwrap_dynamic() {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The bool, if this is a known bool.
    pub fn as_bool(&self) -> Option<bool> {
        match self.unwrap_dynamic() {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The number, if this is a known number.
    pub fn as_number(&self) -> Option<&Number> {
        match self.unwrap_dynamic() {
            Value::Number(n) => Some(n),
            _ => None,
        }
    }

    /// The number as `i64`, if this is a known integer number in range.
    pub fn as_i64(&self) -> Option<i64> {
        self.as_number()?.to_i64()
    }

    /// The number as the nearest `f64`, if this is a known number.
    pub fn as_f64(&self) -> Option<f64> {
        Some(self.as_number()?.to_f64())
    }

    /// The elements of a known list, set or tuple.
    pub fn as_list(&self) -> Option<&[Value]> {
        match self.unwrap_dynamic() {
            Value::List(vs) | Value::Set(vs) | Value::Tuple(vs) => Some(vs),
            _ => None,
        }
    }

    /// The entries of a known map or the attributes of a known object.
    pub fn as_map(&self) -> Option<&BTreeMap<String, Value>> {
        match self.unwrap_dynamic() {
            Value::Map(m) | Value::Object(m) => Some(m),
            _ => None,
        }
    }

    /// A short description of the kind of value, for error messages.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Unknown => "unknown value",
            Value::Bool(_) => "bool",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::List(_) => "list",
            Value::Set(_) => "set",
            Value::Map(_) => "map",
            Value::Object(_) => "object",
            Value::Tuple(_) => "tuple",
            Value::Dynamic(_, _) => "dynamic value",
        }
    }

    fn describe(&self) -> String {
        match self {
            Value::Dynamic(t, _) => format!("dynamic value of type {t}"),
            other => other.kind_name().to_owned(),
        }
    }

    /// This value with every nested set (at any depth) put in canonical
    /// order. Values produced by the decoders are already normalized.
    pub fn normalized(self) -> Value {
        match self {
            Value::List(vs) => Value::List(vs.into_iter().map(Value::normalized).collect()),
            Value::Tuple(vs) => Value::Tuple(vs.into_iter().map(Value::normalized).collect()),
            Value::Set(vs) => Value::Set(normalize_set(
                vs.into_iter().map(Value::normalized).collect(),
            )),
            Value::Map(m) => Value::Map(m.into_iter().map(|(k, v)| (k, v.normalized())).collect()),
            Value::Object(m) => {
                Value::Object(m.into_iter().map(|(k, v)| (k, v.normalized())).collect())
            }
            Value::Dynamic(t, v) => Value::Dynamic(t, Box::new(v.normalized())),
            other => other,
        }
    }

    /// The type implied by the structure of this value, used when a known
    /// value that is not a [`Value::Dynamic`] is placed at a `dynamic`
    /// position.
    ///
    /// Null, unknown and `Value::Dynamic` imply `dynamic`. A list, set or
    /// map implies the unification of its elements' implied types, where
    /// `dynamic` unifies with anything (so `[null, "a"]` is a
    /// `list(string)` and `[]` a `list(dynamic)`); elements whose types
    /// cannot be unified are an error. Objects and tuples imply
    /// object/tuple types of their members' implied types.
    pub fn implied_type(&self) -> Result<Type, ValueError> {
        Ok(match self {
            Value::Null | Value::Unknown | Value::Dynamic(_, _) => Type::Dynamic,
            Value::Bool(_) => Type::Bool,
            Value::Number(_) => Type::Number,
            Value::String(_) => Type::String,
            Value::List(vs) => Type::list(unify_elements(vs.iter(), "list")?),
            Value::Set(vs) => Type::set(unify_elements(vs.iter(), "set")?),
            Value::Map(m) => Type::map(unify_elements(m.values(), "map")?),
            Value::Object(m) => {
                let mut object = ObjectType::default();
                for (name, v) in m {
                    let t = v
                        .implied_type()
                        .map_err(|e| e.within(PathStep::Attribute(name.clone())))?;
                    object.attributes.insert(name.clone(), t);
                }
                Type::Object(object)
            }
            Value::Tuple(vs) => {
                let mut types = Vec::with_capacity(vs.len());
                for (i, v) in vs.iter().enumerate() {
                    types.push(v.implied_type().map_err(|e| e.within(index_step(i)))?);
                }
                Type::Tuple(types)
            }
        })
    }

    /// Checks that this value conforms to `ty` (see the module
    /// documentation), reporting the path of the first mismatch.
    pub fn conforms_to(&self, ty: &Type) -> Result<(), ValueError> {
        check_conformance(self, ty, 0)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(s)
    }
}

impl From<Number> for Value {
    fn from(n: Number) -> Value {
        Value::Number(n)
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Value {
        Value::Number(n.into())
    }
}

impl From<i32> for Value {
    fn from(n: i32) -> Value {
        Value::Number(n.into())
    }
}

impl From<u64> for Value {
    fn from(n: u64) -> Value {
        Value::Number(n.into())
    }
}

/// Puts set elements in canonical order: sorted, fully known duplicates
/// removed.
pub(crate) fn normalize_set(mut elements: Vec<Value>) -> Vec<Value> {
    elements.sort();
    elements.dedup_by(|later, earlier| later == earlier && later.is_fully_known());
    elements
}

/// The elements of a set in canonical order, without copying them.
pub(crate) fn canonical_set_order(elements: &[Value]) -> Vec<&Value> {
    let mut refs: Vec<&Value> = elements.iter().collect();
    refs.sort();
    refs.dedup_by(|later, earlier| later == earlier && later.is_fully_known());
    refs
}

pub(crate) fn index_step(index: usize) -> PathStep {
    PathStep::ElementKeyInt(i64::try_from(index).unwrap_or(i64::MAX))
}

pub(crate) fn too_deep() -> ValueError {
    ValueError::new(format!("value is nested more than {MAX_DEPTH} levels deep"))
}

fn unify(a: Type, b: Type) -> Option<Type> {
    Some(match (a, b) {
        (Type::Dynamic, other) | (other, Type::Dynamic) => other,
        (Type::List(a), Type::List(b)) => Type::list(unify(*a, *b)?),
        (Type::Set(a), Type::Set(b)) => Type::set(unify(*a, *b)?),
        (Type::Map(a), Type::Map(b)) => Type::map(unify(*a, *b)?),
        (Type::Tuple(a), Type::Tuple(b)) if a.len() == b.len() => Type::Tuple(
            a.into_iter()
                .zip(b)
                .map(|(a, b)| unify(a, b))
                .collect::<Option<_>>()?,
        ),
        (Type::Object(a), Type::Object(b)) if a.attributes.keys().eq(b.attributes.keys()) => {
            let mut object = ObjectType::default();
            for ((name, a), (_, b)) in a.attributes.into_iter().zip(b.attributes) {
                object.attributes.insert(name, unify(a, b)?);
            }
            Type::Object(object)
        }
        (a, b) if a == b => a,
        _ => return None,
    })
}

fn unify_elements<'a>(
    elements: impl Iterator<Item = &'a Value>,
    kind: &str,
) -> Result<Type, ValueError> {
    let mut result = Type::Dynamic;
    for element in elements {
        let t = element.implied_type()?;
        let described = t.to_string();
        result = unify(result, t).ok_or_else(|| {
            ValueError::new(format!(
                "cannot infer a {kind} type for a dynamic value: elements have inconsistent types (found {described})"
            ))
        })?;
    }
    Ok(result)
}

/// How a value is to be written at a position of a given type.
pub(crate) enum Resolved<'a> {
    Null,
    Unknown,
    /// A known value at a `dynamic` position: written as a wrapper carrying
    /// this concrete type, with the inner value written at that type.
    Wrap(Cow<'a, Type>, &'a Value),
    /// A known value whose variant matches the (non-dynamic) type. Lengths
    /// and attributes are still to be checked by the caller.
    Known(&'a Value, &'a Type),
}

/// Classifies `value` at a position of type `ty`, applying the dynamic
/// wrapping/unwrapping rules and checking that the value's variant matches.
pub(crate) fn resolve<'a>(value: &'a Value, ty: &'a Type) -> Result<Resolved<'a>, ValueError> {
    match (value, ty) {
        (Value::Null, _) => Ok(Resolved::Null),
        (Value::Unknown, _) => Ok(Resolved::Unknown),
        (Value::Dynamic(t, v), Type::Dynamic) => Ok(Resolved::Wrap(Cow::Borrowed(t), v)),
        (_, Type::Dynamic) => Ok(Resolved::Wrap(Cow::Owned(value.implied_type()?), value)),
        (Value::Dynamic(t, v), _) if **t == *ty => resolve(v, ty),
        (Value::Bool(_), Type::Bool)
        | (Value::Number(_), Type::Number)
        | (Value::String(_), Type::String)
        | (Value::List(_), Type::List(_))
        | (Value::Set(_), Type::Set(_))
        | (Value::Map(_), Type::Map(_))
        | (Value::Object(_), Type::Object(_))
        | (Value::Tuple(_), Type::Tuple(_)) => Ok(Resolved::Known(value, ty)),
        _ => Err(ValueError::new(format!(
            "expected {ty}, got {}",
            value.describe()
        ))),
    }
}

/// Checks that an object value only has attributes declared by its type.
pub(crate) fn check_object_attributes(
    attributes: &BTreeMap<String, Value>,
    object: &ObjectType,
) -> Result<(), ValueError> {
    match attributes
        .keys()
        .find(|name| !object.attributes.contains_key(*name))
    {
        Some(name) => Err(ValueError::new(format!("unsupported attribute {name:?}"))),
        None => Ok(()),
    }
}

pub(crate) fn check_tuple_length(len: usize, types: &[Type]) -> Result<(), ValueError> {
    if len == types.len() {
        Ok(())
    } else {
        Err(ValueError::new(format!(
            "expected a tuple of {} elements, got {len}",
            types.len()
        )))
    }
}

fn check_conformance(value: &Value, ty: &Type, depth: usize) -> Result<(), ValueError> {
    if depth > MAX_DEPTH {
        return Err(too_deep());
    }
    let (value, ty) = match resolve(value, ty)? {
        Resolved::Null | Resolved::Unknown => return Ok(()),
        Resolved::Wrap(t, v) => return check_conformance(v, &t, depth + 1),
        Resolved::Known(value, ty) => (value, ty),
    };
    match (value, ty) {
        (Value::List(vs), Type::List(et)) | (Value::Set(vs), Type::Set(et)) => {
            for (i, v) in vs.iter().enumerate() {
                check_conformance(v, et, depth + 1).map_err(|e| e.within(index_step(i)))?;
            }
        }
        (Value::Map(m), Type::Map(et)) => {
            for (k, v) in m {
                check_conformance(v, et, depth + 1)
                    .map_err(|e| e.within(PathStep::ElementKeyString(k.clone())))?;
            }
        }
        (Value::Object(m), Type::Object(object)) => {
            check_object_attributes(m, object)?;
            for (name, v) in m {
                if let Some(t) = object.attributes.get(name) {
                    check_conformance(v, t, depth + 1)
                        .map_err(|e| e.within(PathStep::Attribute(name.clone())))?;
                }
            }
        }
        (Value::Tuple(vs), Type::Tuple(ts)) => {
            check_tuple_length(vs.len(), ts)?;
            for (i, (v, t)) in vs.iter().zip(ts).enumerate() {
                check_conformance(v, t, depth + 1).map_err(|e| e.within(index_step(i)))?;
            }
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(text: &str) -> Value {
        Value::Number(Number::parse(text).unwrap())
    }

    #[test]
    fn constructors_and_accessors() {
        let v = Value::object([
            ("name", Value::string("web")),
            ("port", Value::from(8080)),
            ("ratio", num("0.5")),
            ("on", Value::from(true)),
            ("tags", Value::map([("env", Value::from("prod"))])),
            ("ids", Value::list([Value::from(1), Value::from(2)])),
            ("any", Value::dynamic(Type::String, Value::from("x"))),
        ]);
        assert_eq!(v.get("name").and_then(Value::as_str), Some("web"));
        assert_eq!(v.get("port").and_then(Value::as_i64), Some(8080));
        assert_eq!(v.get("ratio").and_then(Value::as_f64), Some(0.5));
        assert_eq!(v.get("ratio").and_then(Value::as_i64), None);
        assert_eq!(v.get("on").and_then(Value::as_bool), Some(true));
        assert_eq!(
            v.get("tags")
                .and_then(|t| t.get("env"))
                .and_then(Value::as_str),
            Some("prod")
        );
        assert_eq!(
            v.get("ids")
                .and_then(|l| l.index(1))
                .and_then(Value::as_i64),
            Some(2)
        );
        assert_eq!(v.get("any").and_then(Value::as_str), Some("x"));
        assert_eq!(v.get("missing"), None);
        assert_eq!(Value::from("s").get("x"), None);
        let path = AttributePath::root().attribute("tags").key("env");
        assert_eq!(v.get_path(&path).and_then(Value::as_str), Some("prod"));
        let path = AttributePath::root().attribute("ids").index(0);
        assert_eq!(v.get_path(&path).and_then(Value::as_i64), Some(1));
        assert_eq!(
            v.get_path(&AttributePath::root().attribute("ids").index(-1)),
            None
        );
        assert_eq!(
            v.get_path(&AttributePath::root().attribute("name").index(0)),
            None
        );
        assert_eq!(v.get_path(&AttributePath::root()), Some(&v));
        assert_eq!(v.as_map().map(BTreeMap::len), Some(7));
        assert_eq!(Value::default(), Value::Null);
    }

    #[test]
    fn null_unknown_and_knownness() {
        assert!(Value::Null.is_null());
        assert!(Value::dynamic(Type::String, Value::Null).is_null());
        assert!(!Value::Unknown.is_null());
        assert!(Value::Unknown.is_unknown());
        assert!(Value::dynamic(Type::Number, Value::Unknown).is_unknown());
        assert!(!Value::Unknown.is_known());
        assert!(Value::Null.is_fully_known());
        let nested = Value::object([(
            "a",
            Value::list([Value::map([("k", Value::tuple([Value::Unknown]))])]),
        )]);
        assert!(nested.is_known());
        assert!(!nested.is_fully_known());
        assert!(nested.contains_unknown());
        assert!(!Value::set([Value::dynamic(Type::Bool, Value::Unknown)]).is_fully_known());
        assert!(Value::set([Value::from(1)]).is_fully_known());
    }

    #[test]
    fn set_normalization() {
        let s = Value::set([
            Value::from("b"),
            Value::from("a"),
            Value::from("b"),
            Value::Unknown,
            Value::Unknown,
            Value::Null,
            Value::Null,
        ]);
        assert_eq!(
            s,
            Value::Set(vec![
                Value::Null,
                Value::Unknown,
                Value::Unknown,
                Value::from("a"),
                Value::from("b"),
            ])
        );
        // Numbers sort numerically and equal numbers merge.
        let s = Value::set([num("10"), num("9"), num("1.0"), num("1")]);
        assert_eq!(s, Value::Set(vec![num("1"), num("9"), num("10")]));
        // Partially unknown objects are not merged.
        let partial = Value::object([("a", Value::Unknown)]);
        let s = Value::set([partial.clone(), partial.clone()]);
        assert_eq!(s.as_list().map(<[Value]>::len), Some(2));
        // normalized() reaches nested sets.
        let raw = Value::list([Value::Set(vec![
            Value::from(2),
            Value::from(1),
            Value::from(2),
        ])]);
        assert_eq!(
            raw.normalized(),
            Value::list([Value::Set(vec![Value::from(1), Value::from(2)])])
        );
    }

    #[test]
    fn implied_types() {
        let cases = [
            (Value::from("x"), Type::String),
            (Value::from(1), Type::Number),
            (Value::from(true), Type::Bool),
            (Value::Null, Type::Dynamic),
            (Value::list([]), Type::list(Type::Dynamic)),
            (
                Value::list([Value::Null, Value::from("a")]),
                Type::list(Type::String),
            ),
            (
                Value::set([Value::from(1), Value::Unknown]),
                Type::set(Type::Number),
            ),
            (
                Value::map([
                    ("a", Value::list([Value::Null])),
                    ("b", Value::list([Value::from(true)])),
                ]),
                Type::map(Type::list(Type::Bool)),
            ),
            (
                Value::list([
                    Value::object([("a", Value::from("x")), ("b", Value::Null)]),
                    Value::object([("a", Value::Null), ("b", Value::from(2))]),
                ]),
                Type::list(Type::object([("a", Type::String), ("b", Type::Number)])),
            ),
            (
                Value::tuple([Value::from("x"), Value::from(1)]),
                Type::tuple([Type::String, Type::Number]),
            ),
            (
                Value::dynamic(Type::String, Value::from("x")),
                Type::Dynamic,
            ),
            (
                Value::list([
                    Value::dynamic(Type::String, Value::from("x")),
                    Value::from(1),
                ]),
                Type::list(Type::Number),
            ),
        ];
        for (value, want) in cases {
            assert_eq!(value.implied_type().unwrap(), want, "{value:?}");
        }
        let err = Value::object([("l", Value::list([Value::from("x"), Value::from(1)]))])
            .implied_type()
            .unwrap_err();
        assert_eq!(err.path, AttributePath::root().attribute("l"));
        assert!(err.message.contains("inconsistent types"), "{err}");
        assert!(Value::list([
            Value::object([("a", Value::from(1))]),
            Value::object([("b", Value::from(1))]),
        ])
        .implied_type()
        .is_err());
        assert!(Value::list([Value::tuple([]), Value::tuple([Value::Null])])
            .implied_type()
            .is_err());
    }

    #[test]
    fn conformance() {
        let ty = Type::object([
            ("name", Type::String),
            ("tags", Type::map(Type::String)),
            ("rules", Type::list(Type::object([("port", Type::Number)]))),
            ("pair", Type::tuple([Type::String, Type::Bool])),
            ("any", Type::Dynamic),
        ]);
        let good = Value::object([
            ("name", Value::from("x")),
            ("tags", Value::map([("a", Value::Unknown)])),
            (
                "rules",
                Value::list([Value::object([("port", Value::from(1))]), Value::Null]),
            ),
            ("pair", Value::tuple([Value::Null, Value::from(false)])),
            ("any", Value::list([Value::from(1)])),
        ]);
        good.conforms_to(&ty).unwrap();
        // Missing attributes count as null.
        Value::object([("name", Value::from("x"))])
            .conforms_to(&ty)
            .unwrap();
        Value::Null.conforms_to(&ty).unwrap();
        Value::Unknown.conforms_to(&ty).unwrap();

        let bad = [
            (
                Value::object([("name", Value::from(1))]),
                "attribute \"name\": expected string, got number",
            ),
            (
                Value::object([(
                    "rules",
                    Value::list([Value::object([("port", Value::from("80"))])]),
                )]),
                "attribute \"rules\"[0].port: expected number, got string",
            ),
            (
                Value::object([("tags", Value::map([("k", Value::from(true))]))]),
                "attribute \"tags\"[\"k\"]: expected string, got bool",
            ),
            (
                Value::object([("pair", Value::tuple([Value::from("a")]))]),
                "attribute \"pair\": expected a tuple of 2 elements, got 1",
            ),
            (
                Value::object([("nope", Value::Null)]),
                "unsupported attribute \"nope\"",
            ),
            (Value::from("x"), "expected object({"),
            (
                Value::object([("tags", Value::object([("k", Value::from("v"))]))]),
                "attribute \"tags\": expected map(string), got object",
            ),
            (
                Value::object([("name", Value::dynamic(Type::Number, Value::from(1)))]),
                "attribute \"name\": expected string, got dynamic value of type number",
            ),
            (
                Value::object([("any", Value::list([Value::from(1), Value::from("x")]))]),
                "attribute \"any\": cannot infer a list type",
            ),
        ];
        for (value, want) in bad {
            let err = value.conforms_to(&ty).unwrap_err().to_string();
            assert!(err.starts_with(want), "got {err:?}, want prefix {want:?}");
        }
        // A dynamic wrapper whose type matches the position is unwrapped.
        Value::dynamic(Type::String, Value::from("x"))
            .conforms_to(&Type::String)
            .unwrap();
        Value::dynamic(Type::list(Type::String), Value::list([Value::from(1)]))
            .conforms_to(&Type::Dynamic)
            .unwrap_err();
    }
}
