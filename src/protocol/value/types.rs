//! Terraform (cty) types and their JSON serialization.
//!
//! The JSON form is the one used in schemas and inside dynamic values:
//!
//! | type | JSON |
//! |---|---|
//! | string / number / bool | `"string"`, `"number"`, `"bool"` |
//! | dynamic ("any") | `"dynamic"` |
//! | list / set / map of T | `["list",T]`, `["set",T]`, `["map",T]` |
//! | object | `["object",{"name":T,...}]`, or with optional attributes `["object",{...},["name",...]]` |
//! | tuple | `["tuple",[T,...]]` |
//!
//! Serialization is compact with attribute names sorted and the optional
//! list omitted when empty (sorted otherwise), byte-for-byte what go-cty's
//! `Type.MarshalJSON` produces for ordinary attribute names.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde_json::Value as Json;

use super::ValueError;

/// A Terraform type.
///
/// The derived ordering is arbitrary but total; it exists so that values
/// containing types (dynamic values) can be ordered inside sets.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Type {
    /// `string`.
    String,
    /// `number` (arbitrary precision).
    Number,
    /// `bool`.
    Bool,
    /// `DynamicPseudoType`: any type, decided at runtime. Values at such a
    /// position carry their real type ([`super::Value::Dynamic`]).
    Dynamic,
    /// `list(T)`: ordered elements of one type.
    List(Box<Type>),
    /// `set(T)`: unordered unique elements of one type.
    Set(Box<Type>),
    /// `map(T)`: string keys to elements of one type.
    Map(Box<Type>),
    /// `object({...})`: named attributes of individual types.
    Object(ObjectType),
    /// `tuple([...])`: a fixed sequence of individually typed elements.
    Tuple(Vec<Type>),
}

/// The attributes of an object type.
///
/// Optional attributes only matter for type constraints (Terraform fills in
/// null for them during conversion); object *values* still have every
/// attribute.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectType {
    /// Attribute names and their types.
    pub attributes: BTreeMap<String, Type>,
    /// Names of optional attributes; each must be a key of `attributes`.
    pub optional: BTreeSet<String>,
}

impl ObjectType {
    /// An object type with the given attributes, none optional.
    pub fn new<K: Into<String>>(attributes: impl IntoIterator<Item = (K, Type)>) -> ObjectType {
        ObjectType {
            attributes: attributes.into_iter().map(|(k, t)| (k.into(), t)).collect(),
            optional: BTreeSet::new(),
        }
    }

    /// Is `name` declared optional?
    pub fn is_optional(&self, name: &str) -> bool {
        self.optional.contains(name)
    }
}

impl Type {
    /// `list(element)`.
    pub fn list(element: Type) -> Type {
        Type::List(Box::new(element))
    }

    /// `set(element)`.
    pub fn set(element: Type) -> Type {
        Type::Set(Box::new(element))
    }

    /// `map(element)`.
    pub fn map(element: Type) -> Type {
        Type::Map(Box::new(element))
    }

    /// `tuple([elements...])`.
    pub fn tuple(elements: impl IntoIterator<Item = Type>) -> Type {
        Type::Tuple(elements.into_iter().collect())
    }

    /// `object({name = type, ...})` with no optional attributes.
    pub fn object<K: Into<String>>(attributes: impl IntoIterator<Item = (K, Type)>) -> Type {
        Type::Object(ObjectType::new(attributes))
    }

    /// An object type whose attributes named in `optional` are optional.
    /// Names in `optional` that are not attributes are ignored.
    pub fn object_with_optional<K: Into<String>, O: Into<String>>(
        attributes: impl IntoIterator<Item = (K, Type)>,
        optional: impl IntoIterator<Item = O>,
    ) -> Type {
        let mut object = ObjectType::new(attributes);
        object.optional = optional
            .into_iter()
            .map(Into::into)
            .filter(|name| object.attributes.contains_key(name))
            .collect();
        Type::Object(object)
    }

    /// Is this `string`, `number` or `bool`?
    pub fn is_primitive(&self) -> bool {
        matches!(self, Type::String | Type::Number | Type::Bool)
    }

    /// Is this a list, set or map type?
    pub fn is_collection(&self) -> bool {
        matches!(self, Type::List(_) | Type::Set(_) | Type::Map(_))
    }

    /// The element type of a list, set or map type.
    pub fn element_type(&self) -> Option<&Type> {
        match self {
            Type::List(t) | Type::Set(t) | Type::Map(t) => Some(t),
            _ => None,
        }
    }

    /// The type of attribute `name` of an object type.
    pub fn attribute_type(&self, name: &str) -> Option<&Type> {
        match self {
            Type::Object(object) => object.attributes.get(name),
            _ => None,
        }
    }

    /// Does `dynamic` appear anywhere in this type?
    pub fn contains_dynamic(&self) -> bool {
        match self {
            Type::Dynamic => true,
            Type::String | Type::Number | Type::Bool => false,
            Type::List(t) | Type::Set(t) | Type::Map(t) => t.contains_dynamic(),
            Type::Object(o) => o.attributes.values().any(Type::contains_dynamic),
            Type::Tuple(ts) => ts.iter().any(Type::contains_dynamic),
        }
    }

    /// The cty JSON form of this type.
    pub fn to_json(&self) -> Json {
        match self {
            Type::String => Json::from("string"),
            Type::Number => Json::from("number"),
            Type::Bool => Json::from("bool"),
            Type::Dynamic => Json::from("dynamic"),
            Type::List(t) => Json::Array(vec![Json::from("list"), t.to_json()]),
            Type::Set(t) => Json::Array(vec![Json::from("set"), t.to_json()]),
            Type::Map(t) => Json::Array(vec![Json::from("map"), t.to_json()]),
            Type::Object(object) => {
                let attributes: serde_json::Map<String, Json> = object
                    .attributes
                    .iter()
                    .map(|(name, t)| (name.clone(), t.to_json()))
                    .collect();
                let mut parts = vec![Json::from("object"), Json::Object(attributes)];
                if !object.optional.is_empty() {
                    parts.push(Json::Array(
                        object
                            .optional
                            .iter()
                            .map(|s| Json::from(s.as_str()))
                            .collect(),
                    ));
                }
                Json::Array(parts)
            }
            Type::Tuple(ts) => Json::Array(vec![
                Json::from("tuple"),
                Json::Array(ts.iter().map(Type::to_json).collect()),
            ]),
        }
    }

    /// The compact cty JSON text of this type, e.g. `["list","string"]`.
    pub fn to_json_string(&self) -> String {
        self.to_json().to_string()
    }

    /// The compact cty JSON text of this type as bytes (the form used in
    /// `Schema.Attribute.type`).
    pub fn to_json_bytes(&self) -> Vec<u8> {
        self.to_json_string().into_bytes()
    }

    /// Parses the cty JSON form of a type.
    pub fn from_json(bytes: &[u8]) -> Result<Type, ValueError> {
        // serde_json limits nesting depth (128), so this cannot overflow
        // the stack on hostile input.
        let json: Json = serde_json::from_slice(bytes)
            .map_err(|e| ValueError::new(format!("invalid type description: {e}")))?;
        Type::from_json_value(&json)
    }

    /// Interprets an already-parsed JSON value as a cty type.
    pub fn from_json_value(json: &Json) -> Result<Type, ValueError> {
        let invalid = |what: &str| ValueError::new(format!("invalid type description: {what}"));
        match json {
            Json::String(name) => match name.as_str() {
                "string" => Ok(Type::String),
                "number" => Ok(Type::Number),
                "bool" => Ok(Type::Bool),
                "dynamic" => Ok(Type::Dynamic),
                other => Err(invalid(&format!("invalid primitive type name {other:?}"))),
            },
            Json::Array(parts) => {
                let Some(Json::String(kind)) = parts.first() else {
                    return Err(invalid("complex type kind must be a string"));
                };
                let expect_len = |n: usize| {
                    if parts.len() == n {
                        Ok(())
                    } else {
                        Err(invalid(&format!(
                            "{kind:?} type description must have {n} elements"
                        )))
                    }
                };
                match kind.as_str() {
                    "list" | "set" | "map" => {
                        expect_len(2)?;
                        let element = Box::new(Type::from_json_value(&parts[1])?);
                        Ok(match kind.as_str() {
                            "list" => Type::List(element),
                            "set" => Type::Set(element),
                            _ => Type::Map(element),
                        })
                    }
                    "tuple" => {
                        expect_len(2)?;
                        let Json::Array(elements) = &parts[1] else {
                            return Err(invalid("tuple element types must be an array"));
                        };
                        elements
                            .iter()
                            .map(Type::from_json_value)
                            .collect::<Result<_, _>>()
                            .map(Type::Tuple)
                    }
                    "object" => {
                        if parts.len() != 2 && parts.len() != 3 {
                            return Err(invalid(
                                "\"object\" type description must have 2 or 3 elements",
                            ));
                        }
                        let Json::Object(attributes) = &parts[1] else {
                            return Err(invalid("object attribute types must be a JSON object"));
                        };
                        let mut object = ObjectType::default();
                        for (name, t) in attributes {
                            object
                                .attributes
                                .insert(name.clone(), Type::from_json_value(t)?);
                        }
                        if let Some(optional) = parts.get(2) {
                            let Json::Array(names) = optional else {
                                return Err(invalid("optional attribute names must be an array"));
                            };
                            for name in names {
                                let Json::String(name) = name else {
                                    return Err(invalid(
                                        "optional attribute names must be strings",
                                    ));
                                };
                                if !object.attributes.contains_key(name) {
                                    return Err(invalid(&format!(
                                        "optional attribute {name:?} is not an attribute of the object"
                                    )));
                                }
                                object.optional.insert(name.clone());
                            }
                        }
                        Ok(Type::Object(object))
                    }
                    other => Err(invalid(&format!("invalid complex type kind {other:?}"))),
                }
            }
            _ => Err(invalid("expected a string or an array")),
        }
    }
}

/// Terraform type-constraint syntax: `string`, `list(number)`,
/// `object({name=string, port=optional(number)})`, `tuple([string, bool])`,
/// and `dynamic` for the dynamic pseudo-type (spelled `any` in configs).
impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::String => f.write_str("string"),
            Type::Number => f.write_str("number"),
            Type::Bool => f.write_str("bool"),
            Type::Dynamic => f.write_str("dynamic"),
            Type::List(t) => write!(f, "list({t})"),
            Type::Set(t) => write!(f, "set({t})"),
            Type::Map(t) => write!(f, "map({t})"),
            Type::Object(object) => {
                f.write_str("object({")?;
                for (i, (name, t)) in object.attributes.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    if object.is_optional(name) {
                        write!(f, "{name}=optional({t})")?;
                    } else {
                        write!(f, "{name}={t}")?;
                    }
                }
                f.write_str("})")
            }
            Type::Tuple(ts) => {
                f.write_str("tuple([")?;
                for (i, t) in ts.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{t}")?;
                }
                f.write_str("])")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::value::test_support::arb_type;
    use proptest::prelude::*;

    #[test]
    fn json_table() {
        let cases: Vec<(Type, &str)> = vec![
            (Type::String, r#""string""#),
            (Type::Number, r#""number""#),
            (Type::Bool, r#""bool""#),
            (Type::Dynamic, r#""dynamic""#),
            (Type::list(Type::String), r#"["list","string"]"#),
            (Type::set(Type::Number), r#"["set","number"]"#),
            (Type::map(Type::Bool), r#"["map","bool"]"#),
            (
                Type::list(Type::list(Type::Dynamic)),
                r#"["list",["list","dynamic"]]"#,
            ),
            (
                Type::object(Vec::<(String, Type)>::new()),
                r#"["object",{}]"#,
            ),
            (
                Type::object([("b", Type::String), ("a", Type::Number)]),
                r#"["object",{"a":"number","b":"string"}]"#,
            ),
            (
                Type::object_with_optional(
                    [("b", Type::String), ("a", Type::Number), ("c", Type::Bool)],
                    ["c", "a"],
                ),
                r#"["object",{"a":"number","b":"string","c":"bool"},["a","c"]]"#,
            ),
            (Type::tuple([]), r#"["tuple",[]]"#),
            (
                Type::tuple([Type::String, Type::map(Type::Number)]),
                r#"["tuple",["string",["map","number"]]]"#,
            ),
        ];
        for (ty, json) in cases {
            assert_eq!(ty.to_json_string(), json);
            assert_eq!(Type::from_json(json.as_bytes()).unwrap(), ty, "{json}");
        }
        // Whitespace and an empty optional list are accepted.
        assert_eq!(
            Type::from_json(br#" [ "object" , { "a" : "string" } , [ ] ] "#).unwrap(),
            Type::object([("a", Type::String)])
        );
    }

    #[test]
    fn json_rejects_malformed() {
        let cases: &[&[u8]] = &[
            b"",
            b"nope",
            b"\"str\"",
            b"\"String\"",
            b"42",
            b"null",
            b"[]",
            b"[42]",
            b"[\"list\"]",
            b"[\"list\",\"string\",\"string\"]",
            b"[\"lisst\",\"string\"]",
            b"[\"list\",\"strin\"]",
            b"[\"tuple\",\"string\"]",
            b"[\"tuple\",null]",
            b"[\"object\",[]]",
            b"[\"object\",null]",
            b"[\"object\",{\"a\":\"string\"},[\"b\"]]",
            b"[\"object\",{\"a\":\"string\"},[1]]",
            b"[\"object\",{\"a\":\"string\"},\"a\"]",
            b"[\"object\",{\"a\":\"string\"},[\"a\"],[]]",
            b"\"string\" x",
            b"[\"list\",\"string\"",
        ];
        for &bytes in cases {
            let err = Type::from_json(bytes).unwrap_err();
            assert!(
                err.message.starts_with("invalid type description"),
                "{:?}: {err}",
                String::from_utf8_lossy(bytes)
            );
        }
        // Hostile nesting is an error, not a stack overflow.
        let deep = format!(
            "{}\"string\"{}",
            "[\"list\",".repeat(10_000),
            "]".repeat(10_000)
        );
        assert!(Type::from_json(deep.as_bytes()).is_err());
    }

    #[test]
    fn display_and_helpers() {
        let ty = Type::object_with_optional(
            [
                ("name", Type::String),
                ("port", Type::Number),
                ("tags", Type::map(Type::String)),
                ("pair", Type::tuple([Type::Bool, Type::Dynamic])),
            ],
            ["port"],
        );
        assert_eq!(
            ty.to_string(),
            "object({name=string, pair=tuple([bool, dynamic]), port=optional(number), tags=map(string)})"
        );
        assert!(ty.contains_dynamic());
        assert_eq!(
            ty.attribute_type("tags").and_then(Type::element_type),
            Some(&Type::String)
        );
        assert!(Type::set(Type::Number).is_collection());
        assert!(Type::Bool.is_primitive());
        assert!(!Type::list(Type::String).contains_dynamic());
        // Unknown optional names are dropped by the builder.
        let Type::Object(o) = Type::object_with_optional([("a", Type::String)], ["zzz"]) else {
            unreachable!()
        };
        assert!(o.optional.is_empty());
    }

    proptest! {
        #[test]
        fn json_round_trips(ty in arb_type()) {
            let text = ty.to_json_string();
            prop_assert_eq!(Type::from_json(text.as_bytes()).unwrap(), ty.clone());
            prop_assert_eq!(Type::from_json_value(&ty.to_json()).unwrap(), ty);
        }
    }
}
