//! The JSON encoding of values (`DynamicValue.json`, `RawState.json`).
//!
//! Mirrors go-cty's `cty/json` package:
//!
//! * null is `null` at any type (including `dynamic`);
//! * unknown values cannot be represented: encoding one fails with an error
//!   naming its path (as go-cty does);
//! * strings, bools and numbers are JSON strings, booleans and numbers;
//!   numbers keep full precision (written as [`Number`]'s `Display`, plain
//!   decimal like go-cty's `Text('f', -1)` for all but astronomically large
//!   or small magnitudes);
//! * lists, sets and tuples are arrays, maps and objects are objects (keys
//!   sorted); every attribute of an object type is written, missing ones
//!   as `null`;
//! * at a `dynamic` position a non-null value is
//!   `{"value":<value at its type>,"type":<type JSON>}`.
//!
//! Decoding follows go-cty's leniency: a number may also be given as a
//! string holding a decimal; a string may be given as a number (its literal
//! text is kept) or a bool (`"true"`/`"false"`); a bool may be given as the
//! string `"true"`, `"false"`, `"1"` or `"0"`. Object attributes missing
//! from the input decode as null, unknown attributes are an error, and
//! duplicate keys keep the last value. The `dynamic` wrapper needs both
//! keys, in any order, and nothing else.
//!
//! Differences from go-cty that do not change meaning: strings are escaped
//! by `serde_json` (go additionally escapes `<`, `>`, `&`, U+2028 and
//! U+2029); trailing data after the JSON value is rejected; input nesting
//! is limited to serde_json's 128 levels.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use super::{
    canonical_set_order, check_object_attributes, check_tuple_length, index_step, normalize_set,
    resolve, too_deep, Number, PathStep, Resolved, Type, Value, ValueError, MAX_DEPTH,
};

/// Encodes a fully known `value` as cty JSON for a position of type `ty`.
pub fn encode(value: &Value, ty: &Type) -> Result<Vec<u8>, ValueError> {
    let mut out = Vec::new();
    encode_value(&mut out, value, ty, 0)?;
    Ok(out)
}

/// Decodes cty JSON `bytes` holding a value of type `ty`.
pub fn decode(bytes: &[u8], ty: &Type) -> Result<Value, ValueError> {
    let json: Json =
        serde_json::from_slice(bytes).map_err(|e| ValueError::new(format!("invalid JSON: {e}")))?;
    decode_value(&json, ty)
}

/// Interprets an already-parsed JSON document as a value of type `ty`.
pub fn decode_value(json: &Json, ty: &Type) -> Result<Value, ValueError> {
    decode_json(json, ty, 0)
}

// ---------------------------------------------------------------------------
// Encoding

fn write_json_string(out: &mut Vec<u8>, s: &str) -> Result<(), ValueError> {
    serde_json::to_writer(&mut *out, s)
        .map_err(|e| ValueError::new(format!("failed to write JSON: {e}")))
}

fn encode_value(
    out: &mut Vec<u8>,
    value: &Value,
    ty: &Type,
    depth: usize,
) -> Result<(), ValueError> {
    if depth > MAX_DEPTH {
        return Err(too_deep());
    }
    let (value, ty) = match resolve(value, ty)? {
        Resolved::Null => {
            out.extend_from_slice(b"null");
            return Ok(());
        }
        Resolved::Unknown => {
            return Err(ValueError::new(
                "value is not known; unknown values cannot be represented in JSON",
            ))
        }
        Resolved::Wrap(t, inner) => {
            out.extend_from_slice(b"{\"value\":");
            encode_value(out, inner, &t, depth + 1)?;
            out.extend_from_slice(b",\"type\":");
            out.extend_from_slice(t.to_json_string().as_bytes());
            out.push(b'}');
            return Ok(());
        }
        Resolved::Known(value, ty) => (value, ty),
    };
    match (value, ty) {
        (Value::Bool(b), _) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        (Value::Number(n), _) => out.extend_from_slice(n.to_string().as_bytes()),
        (Value::String(s), _) => write_json_string(out, s)?,
        (Value::List(items), Type::List(et)) => {
            encode_array(out, items.iter().map(|v| (v, &**et)), depth)?;
        }
        (Value::Set(items), Type::Set(et)) => {
            encode_array(
                out,
                canonical_set_order(items).into_iter().map(|v| (v, &**et)),
                depth,
            )?;
        }
        (Value::Tuple(items), Type::Tuple(types)) => {
            check_tuple_length(items.len(), types)?;
            encode_array(out, items.iter().zip(types), depth)?;
        }
        (Value::Map(entries), Type::Map(et)) => {
            out.push(b'{');
            for (i, (key, item)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_json_string(out, key)?;
                out.push(b':');
                encode_value(out, item, et, depth + 1)
                    .map_err(|e| e.within(PathStep::ElementKeyString(key.clone())))?;
            }
            out.push(b'}');
        }
        (Value::Object(attributes), Type::Object(object)) => {
            check_object_attributes(attributes, object)?;
            out.push(b'{');
            for (i, (name, t)) in object.attributes.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_json_string(out, name)?;
                out.push(b':');
                let item = attributes.get(name).unwrap_or(&Value::Null);
                encode_value(out, item, t, depth + 1)
                    .map_err(|e| e.within(PathStep::Attribute(name.clone())))?;
            }
            out.push(b'}');
        }
        // `resolve` only returns matching pairs.
        (value, ty) => {
            return Err(ValueError::new(format!(
                "expected {ty}, got {}",
                value.kind_name()
            )))
        }
    }
    Ok(())
}

fn encode_array<'a>(
    out: &mut Vec<u8>,
    items: impl Iterator<Item = (&'a Value, &'a Type)>,
    depth: usize,
) -> Result<(), ValueError> {
    out.push(b'[');
    for (i, (item, t)) in items.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        encode_value(out, item, t, depth + 1).map_err(|e| e.within(index_step(i)))?;
    }
    out.push(b']');
    Ok(())
}

// ---------------------------------------------------------------------------
// Decoding

fn describe(json: &Json) -> &'static str {
    match json {
        Json::Null => "null",
        Json::Bool(_) => "bool",
        Json::Number(_) => "number",
        Json::String(_) => "string",
        Json::Array(_) => "array",
        Json::Object(_) => "object",
    }
}

fn unexpected(expected: impl std::fmt::Display, json: &Json) -> ValueError {
    ValueError::new(format!("expected {expected}, got {}", describe(json)))
}

fn decode_json(json: &Json, ty: &Type, depth: usize) -> Result<Value, ValueError> {
    if depth > MAX_DEPTH {
        return Err(too_deep());
    }
    if json.is_null() {
        return Ok(Value::Null);
    }
    Ok(match ty {
        Type::Dynamic => return decode_dynamic(json, depth),
        Type::Bool => match json {
            Json::Bool(b) => Value::Bool(*b),
            Json::String(s) => match s.as_str() {
                "true" | "1" => Value::Bool(true),
                "false" | "0" => Value::Bool(false),
                _ => return Err(ValueError::new(format!("expected bool, got string {s:?}"))),
            },
            other => return Err(unexpected(ty, other)),
        },
        Type::Number => match json {
            Json::Number(n) => Value::Number(Number::parse(&n.to_string())?),
            Json::String(s) => Value::Number(Number::parse(s)?),
            other => return Err(unexpected(ty, other)),
        },
        Type::String => match json {
            Json::String(s) => Value::String(s.clone()),
            // With arbitrary_precision this is the literal text.
            Json::Number(n) => Value::String(n.to_string()),
            Json::Bool(b) => Value::String(b.to_string()),
            other => return Err(unexpected(ty, other)),
        },
        Type::List(et) | Type::Set(et) => {
            let Json::Array(items) = json else {
                return Err(unexpected(ty, json));
            };
            let mut values = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                values.push(decode_json(item, et, depth + 1).map_err(|e| e.within(index_step(i)))?);
            }
            if matches!(ty, Type::Set(_)) {
                Value::Set(normalize_set(values))
            } else {
                Value::List(values)
            }
        }
        Type::Tuple(types) => {
            let Json::Array(items) = json else {
                return Err(unexpected(ty, json));
            };
            check_tuple_length(items.len(), types)?;
            let mut values = Vec::with_capacity(items.len());
            for (i, (item, t)) in items.iter().zip(types).enumerate() {
                values.push(decode_json(item, t, depth + 1).map_err(|e| e.within(index_step(i)))?);
            }
            Value::Tuple(values)
        }
        Type::Map(et) => {
            let Json::Object(entries) = json else {
                return Err(unexpected(ty, json));
            };
            let mut values = BTreeMap::new();
            for (key, item) in entries {
                let value = decode_json(item, et, depth + 1)
                    .map_err(|e| e.within(PathStep::ElementKeyString(key.clone())))?;
                values.insert(key.clone(), value);
            }
            Value::Map(values)
        }
        Type::Object(object) => {
            let Json::Object(entries) = json else {
                return Err(unexpected(ty, json));
            };
            if let Some(name) = entries.keys().find(|k| !object.attributes.contains_key(*k)) {
                return Err(ValueError::new(format!("unsupported attribute {name:?}")));
            }
            let mut values = BTreeMap::new();
            for (name, t) in &object.attributes {
                let value = match entries.get(name) {
                    Some(item) => decode_json(item, t, depth + 1)
                        .map_err(|e| e.within(PathStep::Attribute(name.clone())))?,
                    None => Value::Null,
                };
                values.insert(name.clone(), value);
            }
            Value::Object(values)
        }
    })
}

fn decode_dynamic(json: &Json, depth: usize) -> Result<Value, ValueError> {
    let Json::Object(entries) = json else {
        return Err(unexpected(
            "dynamic value ({\"value\": ..., \"type\": ...})",
            json,
        ));
    };
    if let Some(key) = entries.keys().find(|k| *k != "type" && *k != "value") {
        return Err(ValueError::new(format!(
            "invalid key {key:?} in dynamically-typed value"
        )));
    }
    let type_json = entries
        .get("type")
        .ok_or_else(|| ValueError::new("missing type in dynamically-typed value"))?;
    let value_json = entries
        .get("value")
        .ok_or_else(|| ValueError::new("missing value in dynamically-typed value"))?;
    let ty = Type::from_json_value(type_json)?;
    let inner = decode_json(value_json, &ty, depth + 1)?;
    Ok(Value::Dynamic(Box::new(ty), Box::new(inner)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::value::test_support::{self, num};
    use crate::protocol::value::AttributePath;
    use proptest::prelude::*;

    fn enc(value: &Value, ty: &Type) -> String {
        String::from_utf8(encode(value, ty).unwrap()).unwrap()
    }

    #[test]
    fn golden_encodings() {
        let s = |x: &str| Value::from(x);
        let obj = Type::object([("a", Type::String), ("b", Type::Number)]);
        let cases: Vec<(Value, Type, String)> = vec![
            (Value::Null, Type::String, "null".into()),
            (Value::Null, Type::Dynamic, "null".into()),
            (
                s("hi \"there\"\n"),
                Type::String,
                r#""hi \"there\"\n""#.into(),
            ),
            (s("ünï€😀"), Type::String, "\"ünï€😀\"".into()),
            (Value::from(true), Type::Bool, "true".into()),
            (
                Value::from(i64::MIN),
                Type::Number,
                "-9223372036854775808".into(),
            ),
            (
                Value::from(u64::MAX),
                Type::Number,
                "18446744073709551615".into(),
            ),
            (
                num("0.1000000000000000000001"),
                Type::Number,
                "0.1000000000000000000001".into(),
            ),
            (num("1e400"), Type::Number, format!("1{}", "0".repeat(400))),
            (num("-1.5e-3"), Type::Number, "-0.0015".into()),
            (num("1e5000"), Type::Number, "1e+5000".into()),
            (
                Value::list([s("a"), Value::Null]),
                Type::list(Type::String),
                r#"["a",null]"#.into(),
            ),
            (
                Value::set([Value::from(3), Value::from(1)]),
                Type::set(Type::Number),
                "[1,3]".into(),
            ),
            (
                Value::map([("z", Value::from(1)), ("a", Value::from(2))]),
                Type::map(Type::Number),
                r#"{"a":2,"z":1}"#.into(),
            ),
            (
                Value::object([("a", s("x"))]),
                obj.clone(),
                r#"{"a":"x","b":null}"#.into(),
            ),
            (
                Value::tuple([s("x"), Value::from(false)]),
                Type::tuple([Type::String, Type::Bool]),
                r#"["x",false]"#.into(),
            ),
            (
                Value::dynamic(Type::String, s("hi")),
                Type::Dynamic,
                r#"{"value":"hi","type":"string"}"#.into(),
            ),
            (
                Value::dynamic(Type::list(Type::Number), Value::Null),
                Type::Dynamic,
                r#"{"value":null,"type":["list","number"]}"#.into(),
            ),
            (
                Value::object([("x", Value::from(1))]),
                Type::Dynamic,
                r#"{"value":{"x":1},"type":["object",{"x":"number"}]}"#.into(),
            ),
        ];
        for (value, ty, want) in cases {
            assert_eq!(enc(&value, &ty), want, "{value:?} as {ty}");
        }
    }

    #[test]
    fn unknown_values_are_rejected_with_path() {
        let ty = Type::object([("a", Type::list(Type::String)), ("d", Type::Dynamic)]);
        let err = encode(
            &Value::object([("a", Value::list([Value::from("x"), Value::Unknown]))]),
            &ty,
        )
        .unwrap_err();
        assert_eq!(err.path, AttributePath::root().attribute("a").index(1));
        assert_eq!(
            err.to_string(),
            "attribute \"a\"[1]: value is not known; unknown values cannot be represented in JSON"
        );
        let err = encode(&Value::object([("d", Value::Unknown)]), &ty).unwrap_err();
        assert_eq!(err.path, AttributePath::root().attribute("d"));
        let err = encode(
            &Value::object([("d", Value::dynamic(Type::String, Value::Unknown))]),
            &ty,
        )
        .unwrap_err();
        assert_eq!(err.path, AttributePath::root().attribute("d"));
        assert!(encode(&Value::Unknown, &Type::String).is_err());
    }

    #[test]
    fn decodes_alternative_forms() {
        let obj = Type::object([("a", Type::String), ("b", Type::Number)]);
        let cases: Vec<(&str, Type, Value)> = vec![
            (" \"x\" ", Type::String, Value::from("x")),
            ("1.50", Type::String, Value::from("1.50")),
            // serde_json lower-cases the exponent marker of the literal.
            ("1E+3", Type::String, Value::from("1e+3")),
            ("true", Type::String, Value::from("true")),
            ("\"12.5\"", Type::Number, num("12.5")),
            ("1E+3", Type::Number, num("1000")),
            ("-0.0", Type::Number, num("0")),
            (
                "123456789012345678901234567890.123456789",
                Type::Number,
                num("123456789012345678901234567890.123456789"),
            ),
            ("\"true\"", Type::Bool, Value::from(true)),
            ("\"1\"", Type::Bool, Value::from(true)),
            ("\"0\"", Type::Bool, Value::from(false)),
            ("\"false\"", Type::Bool, Value::from(false)),
            (
                "{}",
                obj.clone(),
                Value::object([("a", Value::Null), ("b", Value::Null)]),
            ),
            (
                "{\"b\": 1}",
                obj.clone(),
                Value::object([("a", Value::Null), ("b", Value::from(1))]),
            ),
            (
                "{\"a\":\"x\",\"a\":\"y\"}",
                obj.clone(),
                Value::object([("a", Value::from("y")), ("b", Value::Null)]),
            ),
            (
                "[3,1,3]",
                Type::set(Type::Number),
                Value::set([Value::from(1), Value::from(3)]),
            ),
            ("null", Type::Dynamic, Value::Null),
            (
                "{\"type\":\"number\",\"value\":\"5\"}",
                Type::Dynamic,
                Value::dynamic(Type::Number, Value::from(5)),
            ),
            (
                "{\"type\":[\"object\",{\"a\":\"string\"},[\"a\"]],\"value\":{}}",
                Type::Dynamic,
                Value::dynamic(
                    Type::object_with_optional([("a", Type::String)], ["a"]),
                    Value::object([("a", Value::Null)]),
                ),
            ),
            (
                "{\"value\":{\"value\":true,\"type\":\"bool\"},\"type\":\"dynamic\"}",
                Type::Dynamic,
                Value::dynamic(Type::Dynamic, Value::dynamic(Type::Bool, Value::from(true))),
            ),
        ];
        for (json, ty, want) in cases {
            assert_eq!(
                decode(json.as_bytes(), &ty),
                Ok(want),
                "decoding {json} as {ty}"
            );
        }
    }

    #[test]
    fn malformed_input_is_an_error() {
        let obj = Type::object([("a", Type::String), ("b", Type::Number)]);
        let cases: Vec<(&str, Type, &str)> = vec![
            ("", Type::String, "invalid JSON"),
            ("\"x", Type::String, "invalid JSON"),
            ("\"x\" \"y\"", Type::String, "invalid JSON"),
            ("[1,]", Type::list(Type::Number), "invalid JSON"),
            ("{\"a\":}", obj.clone(), "invalid JSON"),
            ("[]", Type::String, "expected string, got array"),
            ("{}", Type::Number, "expected number, got object"),
            ("\"abc\"", Type::Number, "\"abc\" is not a valid number"),
            ("true", Type::Number, "expected number, got bool"),
            ("1", Type::Bool, "expected bool, got number"),
            ("\"True\"", Type::Bool, "expected bool, got string \"True\""),
            (
                "{}",
                Type::list(Type::String),
                "expected list(string), got object",
            ),
            (
                "[]",
                Type::map(Type::String),
                "expected map(string), got array",
            ),
            (
                "[1]",
                Type::tuple([]),
                "expected a tuple of 0 elements, got 1",
            ),
            (
                "[]",
                Type::tuple([Type::String]),
                "expected a tuple of 1 elements, got 0",
            ),
            ("{\"c\":1}", obj.clone(), "unsupported attribute \"c\""),
            (
                "{\"b\":\"x\"}",
                obj.clone(),
                "attribute \"b\": \"x\" is not a valid number",
            ),
            (
                "[\"a\",[]]",
                Type::list(Type::String),
                "at [1]: expected string, got array",
            ),
            (
                "{\"k\":{}}",
                Type::map(Type::Bool),
                "at [\"k\"]: expected bool, got object",
            ),
            ("\"x\"", Type::Dynamic, "expected dynamic value"),
            ("{\"value\":1}", Type::Dynamic, "missing type"),
            ("{\"type\":\"number\"}", Type::Dynamic, "missing value"),
            (
                "{\"type\":\"number\",\"value\":1,\"x\":1}",
                Type::Dynamic,
                "invalid key \"x\"",
            ),
            (
                "{\"type\":\"nope\",\"value\":1}",
                Type::Dynamic,
                "invalid primitive type name",
            ),
            (
                "{\"type\":\"number\",\"value\":\"x\"}",
                Type::Dynamic,
                "not a valid number",
            ),
            (
                "{\"type\":\"number\",\"value\":1e99999999999}",
                Type::Dynamic,
                "not a valid number",
            ),
        ];
        for (json, ty, want) in cases {
            let err = decode(json.as_bytes(), &ty).unwrap_err();
            assert!(
                err.to_string().contains(want),
                "decoding {json} as {ty}: got {err}, want {want:?}"
            );
        }
        // Deep nesting is an error from the parser, not a stack overflow.
        let mut ty = Type::String;
        for _ in 0..300 {
            ty = Type::list(ty);
        }
        let deep = format!("{}\"x\"{}", "[".repeat(300), "]".repeat(300));
        assert!(decode(deep.as_bytes(), &ty).is_err());
        let deep = "[".repeat(100_000);
        assert!(decode(deep.as_bytes(), &Type::Dynamic).is_err());
    }

    #[test]
    fn round_trip_table() {
        for (value, ty) in test_support::cases(false) {
            let bytes = encode(&value, &ty).unwrap_or_else(|e| panic!("{value:?} as {ty}: {e}"));
            let back = decode(&bytes, &ty).unwrap_or_else(|e| panic!("{value:?} as {ty}: {e}"));
            assert_eq!(back, value, "{ty} via {}", String::from_utf8_lossy(&bytes));
        }
        // The msgpack table (with unknowns) fails exactly where unknowns are.
        for (value, ty) in test_support::cases(true) {
            assert_eq!(
                encode(&value, &ty).is_ok(),
                value.is_fully_known(),
                "{value:?}"
            );
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn random_values_round_trip((ty, value) in test_support::arb_typed_value(false)) {
            let bytes = encode(&value, &ty).unwrap();
            prop_assert_eq!(decode(&bytes, &ty).unwrap(), value.clone());
            // The output is valid JSON for any parser.
            prop_assert!(serde_json::from_slice::<Json>(&bytes).is_ok());
        }

        #[test]
        fn encodings_agree((ty, value) in test_support::arb_typed_value(false)) {
            // Going through JSON then msgpack gives the same value as msgpack alone.
            let via_json = decode(&encode(&value, &ty).unwrap(), &ty).unwrap();
            let mp = crate::protocol::value::msgpack::encode(&via_json, &ty).unwrap();
            prop_assert_eq!(mp, crate::protocol::value::msgpack::encode(&value, &ty).unwrap());
        }

        #[test]
        fn random_text_never_panics(ty in test_support::arb_type(), text in "[\\[\\]{}\",:0-9a-z.eE+-]{0,40}") {
            let _ = decode(text.as_bytes(), &ty);
        }
    }
}
