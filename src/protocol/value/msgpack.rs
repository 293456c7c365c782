//! The MessagePack encoding of values (`DynamicValue.msgpack`).
//!
//! Mirrors go-cty's `cty/msgpack` package:
//!
//! * null is msgpack nil at any type;
//! * an unknown value is the extension `d4 00 00` (fixext1, type 0, one
//!   zero byte). On decode *every* extension with a payload of at most one
//!   byte is an unknown value whatever its type code; a longer payload must
//!   have type code 12 and carry a msgpack map of refinements (newer
//!   Terraform "refined unknowns", at most 1024 bytes). Refinements are
//!   validated the way go-cty validates them (keys are integers; 1 =
//!   nullness bool, 2 = string prefix for strings, 3/4 = `[number, bool]`
//!   bounds for numbers, 5/6 = integer length bounds for collections; other
//!   keys are skipped) and then **dropped**: the result is plain
//!   [`Value::Unknown`], except that a nullness refinement of `true` yields
//!   [`Value::Null`] as in go-cty. Refinements are never encoded;
//! * strings are msgpack str (bin is accepted on decode), bools are bool;
//! * numbers are written as an integer when integral and within `i64`, as a
//!   float64 when the number is *exactly* a non-integral binary float (such
//!   as 0.5; not 0.1), and otherwise as a str holding the decimal text
//!   (this is go-cty's rule; using floats for merely "close" values would
//!   change the number Terraform sees). Decoding accepts every msgpack
//!   integer and float format (NaN and infinities are rejected, see
//!   [`Number`]) and strings holding a decimal number;
//! * lists, sets and tuples are arrays, maps are maps with string keys,
//!   objects are maps with exactly the type's attributes (sorted by name on
//!   encode);
//! * at a `dynamic` position a value is the array `[type JSON as bin,
//!   value encoded at that type]`, except that null and unknown are written
//!   directly.
//!
//! Decoding is stricter than go-cty in a few places that only matter for
//! malformed input: trailing bytes after the value, an object map whose
//! entry count differs from the attribute count (go-cty tolerates an empty
//! map), duplicate object attributes, non-string map keys and invalid UTF-8
//! are all errors. Decoding never panics; preallocation is bounded by the
//! remaining input and nesting by [`MAX_DEPTH`].

use std::collections::BTreeMap;

use rmp::encode as write;
use rmp::Marker;

use super::{
    canonical_set_order, check_object_attributes, check_tuple_length, index_step, normalize_set,
    resolve, too_deep, Number, PathStep, Resolved, Type, Value, ValueError, MAX_DEPTH,
};

/// The bytes go-cty writes for a wholly unknown value.
pub const UNKNOWN_BYTES: [u8; 3] = [0xd4, 0x00, 0x00];

/// Extension type code of refined unknown values.
pub const REFINED_UNKNOWN_EXT: i8 = 12;

/// Largest refinement payload accepted (go-cty's limit).
pub const MAX_REFINEMENT_LEN: usize = 1024;

/// Encodes `value` as msgpack for a position of type `ty`.
pub fn encode(value: &Value, ty: &Type) -> Result<Vec<u8>, ValueError> {
    let mut out = Vec::new();
    encode_value(&mut out, value, ty, 0)?;
    Ok(out)
}

/// Decodes msgpack `bytes` holding a value of type `ty`.
pub fn decode(bytes: &[u8], ty: &Type) -> Result<Value, ValueError> {
    let mut reader = Reader { bytes, pos: 0 };
    let value = decode_value(&mut reader, ty, 0)?;
    if reader.remaining() != 0 {
        return Err(ValueError::new(format!(
            "unexpected {} trailing bytes after the msgpack value",
            reader.remaining()
        )));
    }
    Ok(value)
}

// ---------------------------------------------------------------------------
// Encoding

fn write_failed<E: std::fmt::Display>(error: E) -> ValueError {
    ValueError::new(format!("failed to write msgpack: {error}"))
}

fn length_u32(len: usize) -> Result<u32, ValueError> {
    u32::try_from(len).map_err(|_| ValueError::new("value is too large for msgpack"))
}

fn write_string(out: &mut Vec<u8>, s: &str) -> Result<(), ValueError> {
    length_u32(s.len())?;
    write::write_str(out, s).map_err(write_failed)
}

fn encode_number(out: &mut Vec<u8>, n: &Number) -> Result<(), ValueError> {
    if let Some(i) = n.to_i64() {
        write::write_sint(out, i).map_err(write_failed)?;
    } else if let Some(f) = n.to_f64_exact() {
        write::write_f64(out, f).map_err(write_failed)?;
    } else {
        write_string(out, &n.to_string())?;
    }
    Ok(())
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
        Resolved::Null => return write::write_nil(out).map_err(write_failed),
        Resolved::Unknown => {
            out.extend_from_slice(&UNKNOWN_BYTES);
            return Ok(());
        }
        Resolved::Wrap(t, inner) => {
            write::write_array_len(out, 2).map_err(write_failed)?;
            write::write_bin(out, t.to_json_string().as_bytes()).map_err(write_failed)?;
            return encode_value(out, inner, &t, depth + 1);
        }
        Resolved::Known(value, ty) => (value, ty),
    };
    match (value, ty) {
        (Value::Bool(b), _) => write::write_bool(out, *b).map_err(write_failed),
        (Value::Number(n), _) => encode_number(out, n),
        (Value::String(s), _) => write_string(out, s),
        (Value::List(items), Type::List(et)) => {
            write::write_array_len(out, length_u32(items.len())?).map_err(write_failed)?;
            for (i, item) in items.iter().enumerate() {
                encode_value(out, item, et, depth + 1).map_err(|e| e.within(index_step(i)))?;
            }
            Ok(())
        }
        (Value::Set(items), Type::Set(et)) => {
            let items = canonical_set_order(items);
            write::write_array_len(out, length_u32(items.len())?).map_err(write_failed)?;
            for (i, item) in items.into_iter().enumerate() {
                encode_value(out, item, et, depth + 1).map_err(|e| e.within(index_step(i)))?;
            }
            Ok(())
        }
        (Value::Tuple(items), Type::Tuple(types)) => {
            check_tuple_length(items.len(), types)?;
            write::write_array_len(out, length_u32(items.len())?).map_err(write_failed)?;
            for (i, (item, t)) in items.iter().zip(types).enumerate() {
                encode_value(out, item, t, depth + 1).map_err(|e| e.within(index_step(i)))?;
            }
            Ok(())
        }
        (Value::Map(entries), Type::Map(et)) => {
            write::write_map_len(out, length_u32(entries.len())?).map_err(write_failed)?;
            for (key, item) in entries {
                write_string(out, key)?;
                encode_value(out, item, et, depth + 1)
                    .map_err(|e| e.within(PathStep::ElementKeyString(key.clone())))?;
            }
            Ok(())
        }
        (Value::Object(attributes), Type::Object(object)) => {
            check_object_attributes(attributes, object)?;
            write::write_map_len(out, length_u32(object.attributes.len())?)
                .map_err(write_failed)?;
            for (name, t) in &object.attributes {
                write_string(out, name)?;
                let item = attributes.get(name).unwrap_or(&Value::Null);
                encode_value(out, item, t, depth + 1)
                    .map_err(|e| e.within(PathStep::Attribute(name.clone())))?;
            }
            Ok(())
        }
        // `resolve` only returns matching pairs.
        (value, ty) => Err(ValueError::new(format!(
            "expected {ty}, got {}",
            value.kind_name()
        ))),
    }
}

// ---------------------------------------------------------------------------
// Decoding

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

fn truncated() -> ValueError {
    ValueError::new("unexpected end of msgpack input")
}

impl<'a> Reader<'a> {
    fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    fn peek(&self) -> Result<Marker, ValueError> {
        self.bytes
            .get(self.pos)
            .map(|&b| Marker::from_u8(b))
            .ok_or_else(truncated)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], ValueError> {
        if n > self.remaining() {
            return Err(truncated());
        }
        let slice = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(slice)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], ValueError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn marker(&mut self) -> Result<Marker, ValueError> {
        let marker = self.peek()?;
        self.pos += 1;
        Ok(marker)
    }

    fn u8(&mut self) -> Result<u8, ValueError> {
        Ok(self.array::<1>()?[0])
    }

    fn u16(&mut self) -> Result<u16, ValueError> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    fn u32(&mut self) -> Result<u32, ValueError> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    fn u64(&mut self) -> Result<u64, ValueError> {
        Ok(u64::from_be_bytes(self.array()?))
    }

    /// Bounds a length prefix for preallocation: every element needs at
    /// least one byte of input.
    fn capacity_for(&self, len: usize) -> usize {
        len.min(self.remaining())
    }
}

fn to_usize(n: u32) -> usize {
    // u32 always fits in usize on the 32/64-bit targets Terraform runs on;
    // saturate elsewhere (the length check against the input then fails).
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// What a marker holds, in Terraform terms, for error messages.
fn describe(marker: Marker) -> String {
    match marker {
        Marker::Null => "null".to_owned(),
        Marker::True | Marker::False => "bool".to_owned(),
        Marker::FixPos(_)
        | Marker::FixNeg(_)
        | Marker::U8
        | Marker::U16
        | Marker::U32
        | Marker::U64
        | Marker::I8
        | Marker::I16
        | Marker::I32
        | Marker::I64
        | Marker::F32
        | Marker::F64 => "number".to_owned(),
        Marker::FixStr(_) | Marker::Str8 | Marker::Str16 | Marker::Str32 => "string".to_owned(),
        Marker::Bin8 | Marker::Bin16 | Marker::Bin32 => "binary data".to_owned(),
        Marker::FixArray(_) | Marker::Array16 | Marker::Array32 => "array".to_owned(),
        Marker::FixMap(_) | Marker::Map16 | Marker::Map32 => "map".to_owned(),
        Marker::FixExt1
        | Marker::FixExt2
        | Marker::FixExt4
        | Marker::FixExt8
        | Marker::FixExt16
        | Marker::Ext8
        | Marker::Ext16
        | Marker::Ext32 => "extension".to_owned(),
        Marker::Reserved => "invalid msgpack byte 0xc1".to_owned(),
    }
}

fn unexpected(expected: impl std::fmt::Display, marker: Marker) -> ValueError {
    ValueError::new(format!("expected {expected}, got {}", describe(marker)))
}

fn is_ext(marker: Marker) -> bool {
    matches!(
        marker,
        Marker::FixExt1
            | Marker::FixExt2
            | Marker::FixExt4
            | Marker::FixExt8
            | Marker::FixExt16
            | Marker::Ext8
            | Marker::Ext16
            | Marker::Ext32
    )
}

/// Reads the length of a str or bin whose marker was already consumed.
fn string_len(r: &mut Reader<'_>, marker: Marker) -> Result<Option<usize>, ValueError> {
    Ok(Some(match marker {
        Marker::FixStr(n) => usize::from(n),
        Marker::Str8 | Marker::Bin8 => usize::from(r.u8()?),
        Marker::Str16 | Marker::Bin16 => usize::from(r.u16()?),
        Marker::Str32 | Marker::Bin32 => to_usize(r.u32()?),
        _ => return Ok(None),
    }))
}

/// Reads a str (or bin) as raw bytes.
fn read_bytes<'a>(r: &mut Reader<'a>, expected: &str) -> Result<&'a [u8], ValueError> {
    let marker = r.marker()?;
    match string_len(r, marker)? {
        Some(len) => r.take(len),
        None => Err(unexpected(expected, marker)),
    }
}

fn read_string(r: &mut Reader<'_>, expected: &str) -> Result<String, ValueError> {
    let bytes = read_bytes(r, expected)?;
    std::str::from_utf8(bytes)
        .map(str::to_owned)
        .map_err(|_| ValueError::new(format!("{expected} is not valid UTF-8")))
}

fn array_len(r: &mut Reader<'_>, marker: Marker) -> Result<Option<usize>, ValueError> {
    Ok(Some(match marker {
        Marker::FixArray(n) => usize::from(n),
        Marker::Array16 => usize::from(r.u16()?),
        Marker::Array32 => to_usize(r.u32()?),
        _ => return Ok(None),
    }))
}

fn map_len(r: &mut Reader<'_>, marker: Marker) -> Result<Option<usize>, ValueError> {
    Ok(Some(match marker {
        Marker::FixMap(n) => usize::from(n),
        Marker::Map16 => usize::from(r.u16()?),
        Marker::Map32 => to_usize(r.u32()?),
        _ => return Ok(None),
    }))
}

fn read_array_len(r: &mut Reader<'_>, ty: &Type) -> Result<usize, ValueError> {
    let marker = r.marker()?;
    array_len(r, marker)?.ok_or_else(|| unexpected(ty, marker))
}

fn read_map_len(r: &mut Reader<'_>, ty: &Type) -> Result<usize, ValueError> {
    let marker = r.marker()?;
    map_len(r, marker)?.ok_or_else(|| unexpected(ty, marker))
}

/// An integer of any msgpack integer format whose marker was consumed;
/// `None` for non-integers. Values above `i64::MAX` saturate.
fn integer(r: &mut Reader<'_>, marker: Marker) -> Result<Option<i64>, ValueError> {
    Ok(Some(match marker {
        Marker::FixPos(n) => i64::from(n),
        Marker::FixNeg(n) => i64::from(n),
        Marker::U8 => i64::from(r.u8()?),
        Marker::U16 => i64::from(r.u16()?),
        Marker::U32 => i64::from(r.u32()?),
        Marker::U64 => i64::try_from(r.u64()?).unwrap_or(i64::MAX),
        Marker::I8 => i64::from(r.u8()? as i8),
        Marker::I16 => i64::from(r.u16()? as i16),
        Marker::I32 => i64::from(r.u32()? as i32),
        Marker::I64 => r.u64()? as i64,
        _ => return Ok(None),
    }))
}

fn decode_number(r: &mut Reader<'_>) -> Result<Number, ValueError> {
    let marker = r.marker()?;
    let float = match marker {
        Marker::U64 => return Ok(Number::from(r.u64()?)),
        Marker::F32 => f64::from(f32::from_bits(r.u32()?)),
        Marker::F64 => f64::from_bits(r.u64()?),
        _ => {
            if let Some(i) = integer(r, marker)? {
                return Ok(Number::from(i));
            }
            return match string_len(r, marker)? {
                Some(len) => {
                    let text = std::str::from_utf8(r.take(len)?)
                        .map_err(|_| ValueError::new("number string is not valid UTF-8"))?;
                    Number::parse(text)
                }
                None => Err(unexpected(Type::Number, marker)),
            };
        }
    };
    Number::try_from(float)
}

fn decode_value(r: &mut Reader<'_>, ty: &Type, depth: usize) -> Result<Value, ValueError> {
    if depth > MAX_DEPTH {
        return Err(too_deep());
    }
    let marker = r.peek()?;
    if is_ext(marker) {
        return decode_unknown(r, ty, depth);
    }
    if *ty == Type::Dynamic {
        return decode_dynamic(r, depth);
    }
    if marker == Marker::Null {
        r.pos += 1;
        return Ok(Value::Null);
    }
    Ok(match ty {
        Type::Bool => match r.marker()? {
            Marker::True => Value::Bool(true),
            Marker::False => Value::Bool(false),
            other => return Err(unexpected(ty, other)),
        },
        Type::Number => Value::Number(decode_number(r)?),
        Type::String => Value::String(read_string(r, "string")?),
        Type::List(et) | Type::Set(et) => {
            let len = read_array_len(r, ty)?;
            let mut items = Vec::with_capacity(r.capacity_for(len));
            for i in 0..len {
                items.push(decode_value(r, et, depth + 1).map_err(|e| e.within(index_step(i)))?);
            }
            if matches!(ty, Type::Set(_)) {
                Value::Set(normalize_set(items))
            } else {
                Value::List(items)
            }
        }
        Type::Tuple(types) => {
            let len = read_array_len(r, ty)?;
            check_tuple_length(len, types)?;
            let mut items = Vec::with_capacity(types.len());
            for (i, t) in types.iter().enumerate() {
                items.push(decode_value(r, t, depth + 1).map_err(|e| e.within(index_step(i)))?);
            }
            Value::Tuple(items)
        }
        Type::Map(et) => {
            let len = read_map_len(r, ty)?;
            let mut entries = BTreeMap::new();
            for _ in 0..len {
                let key = read_string(r, "map key")?;
                let item = decode_value(r, et, depth + 1)
                    .map_err(|e| e.within(PathStep::ElementKeyString(key.clone())))?;
                entries.insert(key, item);
            }
            Value::Map(entries)
        }
        Type::Object(object) => {
            let len = read_map_len(r, ty)?;
            if len != object.attributes.len() {
                return Err(ValueError::new(format!(
                    "expected an object with {} attributes, got a map with {len} entries",
                    object.attributes.len()
                )));
            }
            let mut attributes = BTreeMap::new();
            for _ in 0..len {
                let name = read_string(r, "attribute name")?;
                let Some(t) = object.attributes.get(&name) else {
                    return Err(ValueError::new(format!("unsupported attribute {name:?}")));
                };
                if attributes.contains_key(&name) {
                    return Err(ValueError::new(format!("duplicate attribute {name:?}")));
                }
                let item = decode_value(r, t, depth + 1)
                    .map_err(|e| e.within(PathStep::Attribute(name.clone())))?;
                attributes.insert(name, item);
            }
            Value::Object(attributes)
        }
        Type::Dynamic => return decode_dynamic(r, depth),
    })
}

fn decode_dynamic(r: &mut Reader<'_>, depth: usize) -> Result<Value, ValueError> {
    let marker = r.marker()?;
    if marker == Marker::Null {
        return Ok(Value::Null);
    }
    match array_len(r, marker)? {
        Some(2) => {}
        Some(n) => {
            return Err(ValueError::new(format!(
                "dynamic value must be a [type, value] array of 2 elements, got {n} elements"
            )))
        }
        None => return Err(unexpected("dynamic value ([type, value] array)", marker)),
    }
    let type_json = read_bytes(r, "type description of dynamic value")?;
    let ty = Type::from_json(type_json)?;
    let inner = decode_value(r, &ty, depth + 1)?;
    Ok(Value::Dynamic(Box::new(ty), Box::new(inner)))
}

fn decode_unknown(r: &mut Reader<'_>, ty: &Type, depth: usize) -> Result<Value, ValueError> {
    let marker = r.marker()?;
    let len = match marker {
        Marker::FixExt1 => 1,
        Marker::FixExt2 => 2,
        Marker::FixExt4 => 4,
        Marker::FixExt8 => 8,
        Marker::FixExt16 => 16,
        Marker::Ext8 => usize::from(r.u8()?),
        Marker::Ext16 => usize::from(r.u16()?),
        Marker::Ext32 => to_usize(r.u32()?),
        other => return Err(unexpected("extension", other)),
    };
    let ext_type = r.u8()? as i8;
    if len <= 1 {
        r.take(len)?;
        return Ok(Value::Unknown);
    }
    if ext_type != REFINED_UNKNOWN_EXT {
        return Err(ValueError::new(format!(
            "unsupported msgpack extension type {ext_type} with a {len}-byte payload"
        )));
    }
    if len > MAX_REFINEMENT_LEN {
        return Err(ValueError::new(format!(
            "unknown value refinements are too large ({len} bytes, limit {MAX_REFINEMENT_LEN})"
        )));
    }
    let body = r.take(len)?;
    decode_refinements(body, ty, depth).map_err(|e| ValueError {
        message: format!("invalid unknown value refinements: {}", e.message),
        ..e
    })
}

/// Validates a refinement map and reduces it to `Unknown` (or `Null` for a
/// "definitely null" refinement). Trailing bytes after the map are ignored,
/// as in go-cty.
fn decode_refinements(body: &[u8], ty: &Type, depth: usize) -> Result<Value, ValueError> {
    let mut r = Reader {
        bytes: body,
        pos: 0,
    };
    let marker = r.marker()?;
    let Some(count) = map_len(&mut r, marker)? else {
        return Err(unexpected("map", marker));
    };
    if *ty == Type::Dynamic {
        // go-cty ignores (future) refinements of dynamic-typed unknowns.
        return Ok(Value::Unknown);
    }
    let mut result = Value::Unknown;
    for _ in 0..count {
        let marker = r.marker()?;
        let key = integer(&mut r, marker)?.ok_or_else(|| unexpected("integer key", marker))?;
        match key {
            1 => match r.marker()? {
                Marker::True => result = Value::Null,
                Marker::False => result = Value::Unknown,
                other => return Err(unexpected("bool for nullness", other)),
            },
            2 => {
                if *ty != Type::String {
                    return Err(ValueError::new(
                        "string prefix refinement for a non-string type",
                    ));
                }
                read_string(&mut r, "string prefix")?;
            }
            3 | 4 => {
                if *ty != Type::Number {
                    return Err(ValueError::new(
                        "number bound refinement for a non-number type",
                    ));
                }
                let bound_type = Type::tuple([Type::Number, Type::Bool]);
                let bound = decode_value(&mut r, &bound_type, depth + 1)?;
                if !matches!(&bound, Value::Tuple(items)
                    if matches!(items.as_slice(), [Value::Number(_), Value::Bool(_)]))
                {
                    return Err(ValueError::new(
                        "number bound must be a known [number, bool] array",
                    ));
                }
            }
            5 | 6 => {
                if !ty.is_collection() {
                    return Err(ValueError::new(
                        "length bound refinement for a non-collection type",
                    ));
                }
                let marker = r.marker()?;
                integer(&mut r, marker)?
                    .ok_or_else(|| unexpected("integer length bound", marker))?;
            }
            _ => skip_value(&mut r, depth + 1)?,
        }
    }
    Ok(result)
}

/// Skips one msgpack value of any kind.
fn skip_value(r: &mut Reader<'_>, depth: usize) -> Result<(), ValueError> {
    if depth > MAX_DEPTH {
        return Err(too_deep());
    }
    let marker = r.marker()?;
    let fixed = match marker {
        Marker::Null | Marker::True | Marker::False | Marker::FixPos(_) | Marker::FixNeg(_) => 0,
        Marker::U8 | Marker::I8 => 1,
        Marker::U16 | Marker::I16 => 2,
        Marker::U32 | Marker::I32 | Marker::F32 => 4,
        Marker::U64 | Marker::I64 | Marker::F64 => 8,
        Marker::FixExt1 => 2,
        Marker::FixExt2 => 3,
        Marker::FixExt4 => 5,
        Marker::FixExt8 => 9,
        Marker::FixExt16 => 17,
        Marker::Ext8 => usize::from(r.u8()?).saturating_add(1),
        Marker::Ext16 => usize::from(r.u16()?).saturating_add(1),
        Marker::Ext32 => to_usize(r.u32()?).saturating_add(1),
        Marker::Reserved => return Err(unexpected("msgpack value", marker)),
        other => {
            if let Some(len) = string_len(r, other)? {
                len
            } else if let Some(len) = array_len(r, other)? {
                for _ in 0..len {
                    skip_value(r, depth + 1)?;
                }
                0
            } else if let Some(len) = map_len(r, other)? {
                for _ in 0..len {
                    skip_value(r, depth + 1)?;
                    skip_value(r, depth + 1)?;
                }
                0
            } else {
                return Err(unexpected("msgpack value", other));
            }
        }
    };
    r.take(fixed)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::value::test_support::{self, num};
    use proptest::prelude::*;

    fn hex(bytes: &[u8]) -> String {
        bytes
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn unhex(text: &str) -> Vec<u8> {
        text.split_whitespace()
            .map(|h| u8::from_str_radix(h, 16).unwrap())
            .collect()
    }

    /// Encodings derived by hand from go-cty's marshal.go and the
    /// vmihailenco/msgpack encoder it uses (compact ints: non-negative
    /// integers use the unsigned formats; fixstr/str8/str16; bin8 for the
    /// dynamic type JSON; fixext1 type 0 for unknown).
    #[test]
    fn golden_encodings() {
        let s = |x: &str| Value::from(x);
        let cases: Vec<(Value, Type, &str)> = vec![
            (Value::Null, Type::String, "c0"),
            (Value::Unknown, Type::String, "d4 00 00"),
            (Value::Unknown, Type::Dynamic, "d4 00 00"),
            (Value::Null, Type::Dynamic, "c0"),
            (s("hello"), Type::String, "a5 68 65 6c 6c 6f"),
            (s(""), Type::String, "a0"),
            (Value::from(true), Type::Bool, "c3"),
            (Value::from(false), Type::Bool, "c2"),
            (Value::from(0), Type::Number, "00"),
            (Value::from(127), Type::Number, "7f"),
            (Value::from(128), Type::Number, "cc 80"),
            (Value::from(200), Type::Number, "cc c8"),
            (Value::from(65535), Type::Number, "cd ff ff"),
            (Value::from(65536), Type::Number, "ce 00 01 00 00"),
            (
                Value::from(4294967296i64),
                Type::Number,
                "cf 00 00 00 01 00 00 00 00",
            ),
            (
                Value::from(i64::MAX),
                Type::Number,
                "cf 7f ff ff ff ff ff ff ff",
            ),
            (Value::from(-1), Type::Number, "ff"),
            (Value::from(-32), Type::Number, "e0"),
            (Value::from(-33), Type::Number, "d0 df"),
            (Value::from(-200), Type::Number, "d1 ff 38"),
            (Value::from(-40000), Type::Number, "d2 ff ff 63 c0"),
            (
                Value::from(i64::MIN),
                Type::Number,
                "d3 80 00 00 00 00 00 00 00",
            ),
            (num("0.5"), Type::Number, "cb 3f e0 00 00 00 00 00 00"),
            (num("-1.25"), Type::Number, "cb bf f4 00 00 00 00 00 00"),
            (num("0.1"), Type::Number, "a3 30 2e 31"),
            (
                Value::from(u64::MAX),
                Type::Number,
                "b4 31 38 34 34 36 37 34 34 30 37 33 37 30 39 35 35 31 36 31 35",
            ),
            (
                Value::list([s("a"), s("b")]),
                Type::list(Type::String),
                "92 a1 61 a1 62",
            ),
            (Value::list([]), Type::list(Type::String), "90"),
            (
                Value::set([s("b"), s("a")]),
                Type::set(Type::String),
                "92 a1 61 a1 62",
            ),
            (
                Value::map([("b", Value::from(2)), ("a", Value::from(1))]),
                Type::map(Type::Number),
                "82 a1 61 01 a1 62 02",
            ),
            (
                Value::object([("b", Value::Null), ("a", s("x"))]),
                Type::object([("a", Type::String), ("b", Type::String)]),
                "82 a1 61 a1 78 a1 62 c0",
            ),
            // Missing attributes are written as nil.
            (
                Value::object([("a", s("x"))]),
                Type::object([("a", Type::String), ("b", Type::Number)]),
                "82 a1 61 a1 78 a1 62 c0",
            ),
            (
                Value::tuple([s("x"), Value::Unknown]),
                Type::tuple([Type::String, Type::Bool]),
                "92 a1 78 d4 00 00",
            ),
            (
                Value::dynamic(Type::String, s("hi")),
                Type::Dynamic,
                "92 c4 08 22 73 74 72 69 6e 67 22 a2 68 69",
            ),
            // Implied type: a plain string at a dynamic position is wrapped.
            (
                s("hi"),
                Type::Dynamic,
                "92 c4 08 22 73 74 72 69 6e 67 22 a2 68 69",
            ),
            (
                Value::dynamic(Type::String, Value::Null),
                Type::Dynamic,
                "92 c4 08 22 73 74 72 69 6e 67 22 c0",
            ),
            (
                Value::dynamic(Type::list(Type::Bool), Value::list([Value::from(true)])),
                Type::Dynamic,
                // ["list","bool"] is 15 bytes
                "92 c4 0f 5b 22 6c 69 73 74 22 2c 22 62 6f 6f 6c 22 5d 91 c3",
            ),
        ];
        for (value, ty, want) in cases {
            let got = encode(&value, &ty).unwrap();
            assert_eq!(hex(&got), want, "encoding {value:?} as {ty}");
            let back = decode(&got, &ty).unwrap();
            let expected = match (&value, &ty) {
                // Decoding always yields the explicit wrapper.
                (Value::String(_), Type::Dynamic) => Value::dynamic(Type::String, value.clone()),
                // Missing attributes come back as null.
                (Value::Object(m), Type::Object(o)) => Value::Object(
                    o.attributes
                        .keys()
                        .map(|k| (k.clone(), m.get(k).cloned().unwrap_or(Value::Null)))
                        .collect(),
                ),
                _ => value.clone(),
            };
            assert_eq!(back, expected, "decoding {want}");
        }
        // 1e400 is a str16 of 401 bytes.
        let big = encode(&num("1e400"), &Type::Number).unwrap();
        assert_eq!(hex(&big[..4]), "da 01 91 31");
        assert_eq!(big.len(), 3 + 401);
        assert_eq!(decode(&big, &Type::Number).unwrap(), num("1e400"));
        // 0.1000000000000000000001 is a string, not a float.
        let precise = encode(&num("0.1000000000000000000001"), &Type::Number).unwrap();
        assert_eq!(&precise[1..], b"0.1000000000000000000001");
    }

    /// Vectors published in hashicorp/terraform-plugin-go's msgpack tests
    /// (its encoder follows go-cty's rules), checked in both directions.
    #[test]
    fn terraform_plugin_go_vectors() {
        let hello = || Value::from("hello");
        let greeting = Type::object([("greeting", Type::Dynamic)]);
        let cases: Vec<(&str, Type, Value)> = vec![
            ("a568656c6c6f", Type::String, hello()),
            ("d40000", Type::Bool, Value::Unknown),
            ("cf7fffffffffffffff", Type::Number, Value::from(i64::MAX)),
            ("d38000000000000000", Type::Number, Value::from(i64::MIN)),
            (
                "b43138343436373434303733373039353531363135",
                Type::Number,
                Value::from(u64::MAX),
            ),
            // 2^63 does not fit i64 and is an integer: a string.
            (
                "b339323233333732303336383534373735383038",
                Type::Number,
                num("9223372036854775808"),
            ),
            ("cb3ff8000000000000", Type::Number, num("1.5")),
            // 0.8 is not a binary fraction: a string.
            ("a3302e38", Type::Number, num("0.8")),
            (
                "92c40622626f6f6c22c3",
                Type::Dynamic,
                Value::dynamic(Type::Bool, Value::from(true)),
            ),
            (
                "92c4115b226c697374222c22737472696e67225d91a568656c6c6f",
                Type::Dynamic,
                Value::dynamic(Type::list(Type::String), Value::list([hello()])),
            ),
            (
                "92c4105b226d6170222c22737472696e67225d81a568656c6c6fa568656c6c6f",
                Type::Dynamic,
                Value::dynamic(Type::map(Type::String), Value::map([("hello", hello())])),
            ),
            (
                "92c4105b22736574222c22737472696e67225d91a568656c6c6f",
                Type::Dynamic,
                Value::dynamic(Type::set(Type::String), Value::set([hello()])),
            ),
            (
                "92c408226e756d6265722201",
                Type::Dynamic,
                Value::dynamic(Type::Number, Value::from(1)),
            ),
            (
                "81a86772656574696e6792c40822737472696e6722a568656c6c6f",
                greeting,
                Value::object([("greeting", Value::dynamic(Type::String, hello()))]),
            ),
            (
                "9192c40822737472696e6722a568656c6c6f",
                Type::list(Type::Dynamic),
                Value::list([Value::dynamic(Type::String, hello())]),
            ),
            (
                "9292c40822737472696e6722a568656c6c6f92c40822737472696e6722a5776f726c64",
                Type::tuple([Type::Dynamic, Type::Dynamic]),
                Value::tuple([
                    Value::dynamic(Type::String, hello()),
                    Value::dynamic(Type::String, Value::from("world")),
                ]),
            ),
            (
                "81a86772656574696e67d40000",
                Type::map(Type::String),
                Value::map([("greeting", Value::Unknown)]),
            ),
            ("91c0", Type::set(Type::String), Value::set([Value::Null])),
            ("90", Type::tuple([]), Value::tuple([])),
        ];
        for (bytes, ty, value) in cases {
            assert_eq!(
                hex(&encode(&value, &ty).unwrap()).replace(' ', ""),
                bytes,
                "{value:?}"
            );
            assert_eq!(
                decode(&unhex_compact(bytes), &ty).unwrap(),
                value,
                "{bytes}"
            );
        }

        // A 100-digit integer is a str8.
        let nines = "9".repeat(100);
        let bytes = encode(&num(&nines), &Type::Number).unwrap();
        assert_eq!(bytes[..2], [0xd9, 100]);
        assert_eq!(&bytes[2..], nines.as_bytes());

        // f64::MAX is an integer too large for i64: its plain decimal text
        // (309 digits) as a str16.
        let max = Value::Number(Number::try_from(f64::MAX).unwrap());
        let bytes = encode(&max, &Type::Number).unwrap();
        assert_eq!(bytes[..3], [0xda, 0x01, 0x35]);
        assert!(
            bytes[3..].starts_with(b"17976931348623157") && bytes[20..].iter().all(|&b| b == b'0')
        );

        // The smallest subnormal float decodes to its shortest decimal;
        // its exact decimal expansion encodes back to the same float.
        let tiny = unhex_compact("cb0000000000000001");
        assert_eq!(decode(&tiny, &Type::Number).unwrap(), num("5e-324"));
        let exact = num(&format!("{:.800e}", 5e-324));
        assert_eq!(encode(&exact, &Type::Number).unwrap(), tiny);

        // Infinities exist in cty but not in this value model.
        assert!(decode(&unhex_compact("cb7ff0000000000000"), &Type::Number).is_err());
        assert!(decode(&unhex_compact("cbfff0000000000000"), &Type::Number).is_err());
    }

    fn unhex_compact(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn decodes_alternative_forms() {
        let cases: Vec<(&str, Type, Value)> = vec![
            // Every integer width and float width decodes as a number.
            ("d0 05", Type::Number, Value::from(5)),
            ("d1 00 05", Type::Number, Value::from(5)),
            ("d2 00 00 00 05", Type::Number, Value::from(5)),
            ("d3 00 00 00 00 00 00 00 05", Type::Number, Value::from(5)),
            ("cc 05", Type::Number, Value::from(5)),
            ("cd 00 05", Type::Number, Value::from(5)),
            ("ce 00 00 00 05", Type::Number, Value::from(5)),
            (
                "cf ff ff ff ff ff ff ff ff",
                Type::Number,
                Value::from(u64::MAX),
            ),
            ("ca 3f 00 00 00", Type::Number, num("0.5")),
            ("cb 40 00 00 00 00 00 00 00", Type::Number, Value::from(2)),
            ("cb 3f b9 99 99 99 99 99 9a", Type::Number, num("0.1")),
            // float32 0.1 widened to float64 first, as go-cty does.
            ("ca 3d cc cc cd", Type::Number, num("0.10000000149011612")),
            ("cb 80 00 00 00 00 00 00 00", Type::Number, Value::from(0)),
            // Numbers as strings (str and bin).
            ("a4 31 65 2b 33", Type::Number, num("1000")),
            ("c4 03 2d 31 35", Type::Number, Value::from(-15)),
            // Strings as str8/str16/str32/bin.
            ("d9 01 78", Type::String, Value::from("x")),
            ("da 00 01 78", Type::String, Value::from("x")),
            ("db 00 00 00 01 78", Type::String, Value::from("x")),
            ("c4 01 78", Type::String, Value::from("x")),
            // Arrays/maps in their 16/32-bit forms.
            (
                "dc 00 01 01",
                Type::list(Type::Number),
                Value::list([Value::from(1)]),
            ),
            (
                "dd 00 00 00 01 01",
                Type::list(Type::Number),
                Value::list([Value::from(1)]),
            ),
            (
                "de 00 01 a1 6b 01",
                Type::map(Type::Number),
                Value::map([("k", Value::from(1))]),
            ),
            (
                "df 00 00 00 01 a1 6b 01",
                Type::map(Type::Number),
                Value::map([("k", Value::from(1))]),
            ),
            // Sets are normalized on decode.
            (
                "93 03 01 03",
                Type::set(Type::Number),
                Value::set([Value::from(1), Value::from(3)]),
            ),
            // Duplicate map keys: last wins (as in go-cty).
            (
                "82 a1 6b 01 a1 6b 02",
                Type::map(Type::Number),
                Value::map([("k", Value::from(2))]),
            ),
            // Unknown: any extension type with an empty or 1-byte payload.
            ("d4 00 00", Type::Number, Value::Unknown),
            ("d4 07 ff", Type::Number, Value::Unknown),
            ("c7 00 00", Type::String, Value::Unknown),
            ("c8 00 00 05", Type::String, Value::Unknown),
            ("c9 00 00 00 01 03 00", Type::String, Value::Unknown),
            // Refined unknowns (ext type 12): not null.
            ("c7 03 0c 81 01 c2", Type::String, Value::Unknown),
            // not null + string prefix "ab"
            (
                "c7 07 0c 82 01 c2 02 a2 61 62",
                Type::String,
                Value::Unknown,
            ),
            // number bounds [0, true] and [10, false]
            (
                "c7 09 0c 82 03 92 00 c3 04 92 0a c2",
                Type::Number,
                Value::Unknown,
            ),
            // number bound given as a decimal string
            (
                "c7 07 0c 81 03 92 a2 2e 35 c3",
                Type::Number,
                Value::Unknown,
            ),
            // length max 200 (fixext4)
            (
                "d6 0c 81 06 cc c8",
                Type::list(Type::String),
                Value::Unknown,
            ),
            // length bounds on a set and a map
            (
                "c7 05 0c 82 05 01 06 05",
                Type::set(Type::String),
                Value::Unknown,
            ),
            ("c7 03 0c 81 05 01", Type::map(Type::String), Value::Unknown),
            // unknown refinement keys are skipped
            (
                "c7 0c 0c 82 63 92 81 a1 61 c0 d4 00 00 01 c2",
                Type::Bool,
                Value::Unknown,
            ),
            // refinements of dynamic unknowns are ignored entirely
            ("c7 04 0c 81 02 a1 61", Type::Dynamic, Value::Unknown),
            // trailing bytes inside the refinement payload are ignored
            ("c7 05 0c 81 01 c2 ff ff", Type::String, Value::Unknown),
            // "definitely null" collapses to null, as in go-cty
            ("c7 03 0c 81 01 c3", Type::String, Value::Null),
            // Dynamic: type JSON may be str instead of bin.
            (
                "92 a8 22 73 74 72 69 6e 67 22 a1 78",
                Type::Dynamic,
                Value::dynamic(Type::String, Value::from("x")),
            ),
            // Dynamic with an unknown inner value of known type.
            (
                "92 c4 08 22 6e 75 6d 62 65 72 22 d4 00 00",
                Type::Dynamic,
                Value::dynamic(Type::Number, Value::Unknown),
            ),
            // Dynamic whose carried type is itself dynamic.
            (
                "92 c4 09 22 64 79 6e 61 6d 69 63 22 92 c4 06 22 62 6f 6f 6c 22 c3",
                Type::Dynamic,
                Value::dynamic(Type::Dynamic, Value::dynamic(Type::Bool, Value::from(true))),
            ),
        ];
        for (bytes, ty, want) in cases {
            assert_eq!(
                decode(&unhex(bytes), &ty),
                Ok(want),
                "decoding {bytes} as {ty}"
            );
        }
    }

    #[test]
    fn malformed_input_is_an_error() {
        let obj = Type::object([("a", Type::String), ("b", Type::Number)]);
        let cases: Vec<(&str, Type, &str)> = vec![
            ("", Type::String, "unexpected end"),
            ("a5 68 65", Type::String, "unexpected end"),
            ("92 a1 61", Type::list(Type::String), "unexpected end"),
            ("cd 01", Type::Number, "unexpected end"),
            ("cb 3f e0", Type::Number, "unexpected end"),
            ("d4 00", Type::String, "unexpected end"),
            ("c0 c0", Type::String, "trailing bytes"),
            ("01", Type::String, "expected string, got number"),
            ("a1 61", Type::Number, "\"a\" is not a valid number"),
            ("a0", Type::Number, "not a valid number"),
            ("c3", Type::Number, "expected number, got bool"),
            ("01", Type::Bool, "expected bool, got number"),
            ("a4 74 72 75 65", Type::Bool, "expected bool, got string"),
            (
                "cb 7f f0 00 00 00 00 00 00",
                Type::Number,
                "cannot be represented",
            ),
            (
                "cb 7f f8 00 00 00 00 00 00",
                Type::Number,
                "cannot be represented",
            ),
            ("ca 7f 80 00 00", Type::Number, "cannot be represented"),
            ("a2 c3 28", Type::String, "not valid UTF-8"),
            ("c1", Type::String, "invalid msgpack byte 0xc1"),
            (
                "81 a1 61 01",
                Type::list(Type::Number),
                "expected list(number), got map",
            ),
            (
                "91 01",
                Type::map(Type::Number),
                "expected map(number), got array",
            ),
            (
                "81 01 01",
                Type::map(Type::Number),
                "expected map key, got number",
            ),
            (
                "92 01 02",
                Type::tuple([Type::Number]),
                "expected a tuple of 1 elements, got 2",
            ),
            (
                "90",
                Type::tuple([Type::Number]),
                "expected a tuple of 1 elements, got 0",
            ),
            (
                "81 a1 61 a1 78",
                obj.clone(),
                "expected an object with 2 attributes, got a map with 1",
            ),
            (
                "80",
                obj.clone(),
                "expected an object with 2 attributes, got a map with 0",
            ),
            (
                "82 a1 61 a1 78 a1 63 01",
                obj.clone(),
                "unsupported attribute \"c\"",
            ),
            (
                "82 a1 61 a1 78 a1 61 a1 78",
                obj.clone(),
                "duplicate attribute \"a\"",
            ),
            (
                "82 a1 61 a1 78 a1 62 a1 78",
                obj.clone(),
                "attribute \"b\": \"x\" is not a valid number",
            ),
            (
                "92 01 a1 62",
                Type::list(Type::Number),
                "at [1]: \"b\" is not a valid number",
            ),
            // Extensions: payload > 1 byte needs type 12, a map, <= 1024 bytes.
            (
                "d5 00 00 00",
                Type::String,
                "unsupported msgpack extension type 0 with a 2-byte payload",
            ),
            (
                "d6 05 81 01 c2 00",
                Type::String,
                "unsupported msgpack extension type 5",
            ),
            (
                "d5 0c 01 02",
                Type::String,
                "refinements: expected map, got number",
            ),
            (
                "c7 03 0c 81 a1 61",
                Type::String,
                "expected integer key, got string",
            ),
            (
                "c7 03 0c 81 01 01",
                Type::String,
                "expected bool for nullness",
            ),
            (
                "c7 04 0c 81 02 a1 61",
                Type::Number,
                "string prefix refinement for a non-string type",
            ),
            (
                "c7 03 0c 81 02 01",
                Type::String,
                "expected string prefix, got number",
            ),
            (
                "c7 05 0c 81 03 92 00 c3",
                Type::String,
                "number bound refinement for a non-number type",
            ),
            (
                "c7 04 0c 81 03 91 00",
                Type::Number,
                "expected a tuple of 2 elements",
            ),
            (
                "c7 05 0c 81 03 92 c0 c3",
                Type::Number,
                "known [number, bool]",
            ),
            (
                "c7 03 0c 81 05 01",
                Type::String,
                "length bound refinement for a non-collection type",
            ),
            (
                "c7 03 0c 81 05 c3",
                Type::list(Type::String),
                "expected integer length bound, got bool",
            ),
            ("c7 03 0c 82 01 c2", Type::String, "unexpected end"),
            ("c7 05 0c 81 01", Type::String, "unexpected end"),
            ("c8 04 01 0c", Type::String, "too large"),
            (
                "c7 03 0c 81 07 c1",
                Type::String,
                "invalid msgpack byte 0xc1",
            ),
            // Dynamic wrappers.
            (
                "91 c4 08 22 73 74 72 69 6e 67 22",
                Type::Dynamic,
                "[type, value] array of 2 elements, got 1",
            ),
            (
                "a1 78",
                Type::Dynamic,
                "expected dynamic value ([type, value] array), got string",
            ),
            (
                "92 01 01",
                Type::Dynamic,
                "expected type description of dynamic value, got number",
            ),
            (
                "92 c4 03 22 78 22 01",
                Type::Dynamic,
                "invalid primitive type name \"x\"",
            ),
            (
                "92 c4 03 5b 5d 5d 01",
                Type::Dynamic,
                "invalid type description",
            ),
            (
                "92 c4 08 22 73 74 72 69 6e 67 22 01",
                Type::Dynamic,
                "expected string, got number",
            ),
            (
                "92 c4 08 22 73 74 72 69 6e 67 22",
                Type::Dynamic,
                "unexpected end",
            ),
            // Giant length prefixes fail on the missing input, without
            // allocating for them.
            ("dd ff ff ff ff", Type::list(Type::String), "unexpected end"),
            (
                "dd ff ff ff ff c0",
                Type::set(Type::String),
                "unexpected end",
            ),
            ("df ff ff ff ff", Type::map(Type::String), "unexpected end"),
            ("db ff ff ff ff 61", Type::String, "unexpected end"),
            ("c6 ff ff ff ff 61", Type::String, "unexpected end"),
            (
                "c9 ff ff ff ff 00",
                Type::String,
                "unsupported msgpack extension type 0",
            ),
            ("c9 ff ff ff ff 0c", Type::String, "too large"),
            (
                "c7 08 0c 81 63 dd ff ff ff ff 01",
                Type::String,
                "unexpected end",
            ),
            (
                "c7 07 0c 81 63 df ff ff ff ff",
                Type::String,
                "unexpected end",
            ),
            ("92 c6 ff ff ff ff", Type::Dynamic, "unexpected end"),
        ];
        for (bytes, ty, want) in cases {
            let err = decode(&unhex(bytes), &ty).unwrap_err();
            assert!(
                err.to_string().contains(want),
                "decoding {bytes} as {ty}: got {err:?}, want {want:?}"
            );
        }
    }

    #[test]
    fn deep_nesting_is_rejected() {
        // Nested dynamic wrappers: [\"dynamic\", [\"dynamic\", ...]]
        let mut bytes = Vec::new();
        for _ in 0..(MAX_DEPTH + 10) {
            bytes.extend_from_slice(&unhex("92 c4 09 22 64 79 6e 61 6d 69 63 22"));
        }
        bytes.push(0xc0);
        let err = decode(&bytes, &Type::Dynamic).unwrap_err();
        assert!(err.message.contains("nested more than"), "{err}");

        // A deep list type with matching deep input.
        let mut ty = Type::String;
        for _ in 0..(MAX_DEPTH + 10) {
            ty = Type::list(ty);
        }
        let mut bytes = vec![0x91; MAX_DEPTH + 10];
        bytes.push(0xa0);
        let err = decode(&bytes, &ty).unwrap_err();
        assert!(err.message.contains("nested more than"), "{err}");
        assert!(err.path.steps().len() > MAX_DEPTH);

        // A thousand nested arrays inside a skipped refinement value.
        let mut body = vec![0x81, 0x63];
        body.extend(std::iter::repeat_n(0x91, 1000));
        body.push(0xc0);
        let mut bytes = vec![0xc8];
        bytes.extend_from_slice(&(body.len() as u16).to_be_bytes());
        bytes.push(0x0c);
        bytes.extend_from_slice(&body);
        assert!(decode(&bytes, &Type::String).is_err());

        // Encoding refuses absurdly deep dynamic wrappers too.
        let mut value = Value::Null;
        for _ in 0..(MAX_DEPTH + 10) {
            value = Value::dynamic(Type::Dynamic, value);
        }
        assert!(encode(&value, &Type::Dynamic).is_err());
        // ...but decodes what it encodes up to the limit.
        let mut value = Value::Null;
        for _ in 0..(MAX_DEPTH - 1) {
            value = Value::dynamic(Type::Dynamic, value);
        }
        let bytes = encode(&value, &Type::Dynamic).unwrap();
        assert_eq!(decode(&bytes, &Type::Dynamic).unwrap(), value);
    }

    #[test]
    fn encode_errors_name_the_path() {
        let ty = Type::object([
            ("tags", Type::map(Type::String)),
            ("rules", Type::list(Type::object([("port", Type::Number)]))),
        ]);
        let cases = [
            (
                Value::object([("tags", Value::map([("k", Value::from(1))]))]),
                "attribute \"tags\"[\"k\"]: expected string, got number",
            ),
            (
                Value::object([(
                    "rules",
                    Value::list([Value::Null, Value::object([("port", Value::from("x"))])]),
                )]),
                "attribute \"rules\"[1].port: expected number, got string",
            ),
            (
                Value::object([("bogus", Value::Null)]),
                "unsupported attribute \"bogus\"",
            ),
            (Value::list([]), "expected object({"),
        ];
        for (value, want) in cases {
            let err = encode(&value, &ty).unwrap_err();
            assert!(err.to_string().starts_with(want), "{err}");
        }
        assert!(encode(&Value::tuple([]), &Type::tuple([Type::String])).is_err());
    }

    #[test]
    fn round_trip_table() {
        for (value, ty) in test_support::cases(true) {
            let bytes = encode(&value, &ty).unwrap_or_else(|e| panic!("{value:?} as {ty}: {e}"));
            let back = decode(&bytes, &ty).unwrap_or_else(|e| panic!("{value:?} as {ty}: {e}"));
            assert_eq!(back, value, "{ty} via {}", hex(&bytes));
            value.conforms_to(&ty).unwrap();
        }
    }

    #[test]
    fn truncations_and_corruptions_never_panic() {
        for (value, ty) in test_support::cases(true) {
            let bytes = encode(&value, &ty).unwrap();
            if bytes.len() > 4096 {
                // Keep the quadratic loops below fast.
                continue;
            }
            for end in 0..bytes.len() {
                assert!(decode(&bytes[..end], &ty).is_err(), "prefix of {value:?}");
            }
            for i in 0..bytes.len() {
                for replacement in [0x00, 0xc1, 0xd4, 0xdd, 0xff] {
                    let mut corrupted = bytes.clone();
                    corrupted[i] = replacement;
                    let _ = decode(&corrupted, &ty);
                }
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn random_values_round_trip((ty, value) in test_support::arb_typed_value(true)) {
            let bytes = encode(&value, &ty).unwrap();
            prop_assert_eq!(decode(&bytes, &ty).unwrap(), value.clone());
            prop_assert!(value.conforms_to(&ty).is_ok());
        }

        #[test]
        fn random_bytes_never_panic(ty in test_support::arb_type(), bytes in prop::collection::vec(any::<u8>(), 0..64)) {
            let _ = decode(&bytes, &ty);
        }

        #[test]
        fn mutated_encodings_never_panic(
            (ty, value) in test_support::arb_typed_value(true),
            edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
        ) {
            let mut bytes = encode(&value, &ty).unwrap();
            for (at, byte) in edits {
                let i = at.index(bytes.len());
                bytes[i] = byte;
            }
            if let Ok(decoded) = decode(&bytes, &ty) {
                // Whatever decodes must conform and re-encode.
                prop_assert!(decoded.conforms_to(&ty).is_ok());
                prop_assert!(encode(&decoded, &ty).is_ok());
            }
        }
    }
}
