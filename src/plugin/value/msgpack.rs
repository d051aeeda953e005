//! cty's msgpack encoding, driven by the schema type: what Terraform sends and expects in
//! every `DynamicValue`. Objects carry exactly one entry per attribute of their type; any
//! msgpack extension is an unknown value (type 12 carries refinements).

use std::collections::BTreeMap;

use crate::plugin::path::PathStep;
use crate::plugin::value::{CodecError, Number, Refinements, Type, Value};

/// The extension type cty uses for an unknown value with refinements.
const REFINED_UNKNOWN_EXT: i8 = 12;
/// cty refuses refinement payloads above this size; so do we.
const MAX_REFINEMENT_BYTES: usize = 1024;

const REFINE_NULLNESS: i64 = 1;
const REFINE_STRING_PREFIX: i64 = 2;
const REFINE_NUMBER_MIN: i64 = 3;
const REFINE_NUMBER_MAX: i64 = 4;
const REFINE_LENGTH_MIN: i64 = 5;
const REFINE_LENGTH_MAX: i64 = 6;

/// Encodes `value` as cty msgpack for type `ty`.
pub fn encode(value: &Value, ty: &Type) -> Result<Vec<u8>, CodecError> {
    let mut out = Vec::with_capacity(256);
    encode_value(&mut out, value, ty)?;
    Ok(out)
}

/// Decodes cty msgpack bytes of type `ty`.
pub fn decode(bytes: &[u8], ty: &Type) -> Result<Value, CodecError> {
    let mut reader = Reader { bytes, pos: 0 };
    let value = decode_value(&mut reader, ty)?;
    if reader.pos != bytes.len() {
        return Err(CodecError::here("trailing bytes after the value"));
    }
    Ok(value)
}

// Writing into a Vec cannot fail; rmp's error type is still threaded through, so unwrap-free
// helpers discard it.
fn w<T, E>(result: Result<T, E>) {
    let _ = result;
}

fn mismatch(ty: &Type, value: &Value) -> CodecError {
    CodecError::here(format!(
        "a value of kind {} does not fit type {}",
        kind(value),
        ty.to_json()
    ))
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Unknown(_) => "unknown",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::List(_) => "list",
        Value::Set(_) => "set",
        Value::Tuple(_) => "tuple",
        Value::Map(_) => "map",
        Value::Object(_) => "object",
    }
}

fn len_u32(len: usize) -> Result<u32, CodecError> {
    u32::try_from(len).map_err(|_| CodecError::here("collection too large"))
}

fn encode_number(out: &mut Vec<u8>, number: &Number) {
    match number {
        Number::Int(i) => w(rmp::encode::write_sint(out, *i)),
        Number::Float(f) => {
            // cty writes whole numbers that fit an int64 as ints.
            if f.fract() == 0.0 && f.abs() < 9.2e18 {
                w(rmp::encode::write_sint(out, *f as i64));
            } else {
                w(rmp::encode::write_f64(out, *f));
            }
        }
        Number::Decimal(text) => w(rmp::encode::write_str(out, text)),
    }
}

fn encode_value(out: &mut Vec<u8>, value: &Value, ty: &Type) -> Result<(), CodecError> {
    match (value, ty) {
        (Value::Null, _) => {
            w(rmp::encode::write_nil(out));
            Ok(())
        }
        (Value::Unknown(refinements), _) => {
            encode_unknown(out, refinements, ty);
            Ok(())
        }
        (_, Type::Dynamic) => {
            let concrete = implied_type(value);
            w(rmp::encode::write_array_len(out, 2));
            w(rmp::encode::write_bin(out, &concrete.to_json_bytes()));
            encode_value(out, value, &concrete)
        }
        (Value::String(s), Type::String) => {
            w(rmp::encode::write_str(out, s));
            Ok(())
        }
        (Value::Number(n), Type::Number) => {
            encode_number(out, n);
            Ok(())
        }
        (Value::Bool(b), Type::Bool) => {
            w(rmp::encode::write_bool(out, *b));
            Ok(())
        }
        (
            Value::List(items) | Value::Set(items) | Value::Tuple(items),
            Type::List(element) | Type::Set(element),
        ) => {
            w(rmp::encode::write_array_len(out, len_u32(items.len())?));
            for (index, item) in items.iter().enumerate() {
                encode_value(out, item, element)
                    .map_err(|e| e.within(PathStep::ElementKeyInt(index as i64)))?;
            }
            Ok(())
        }
        (Value::Map(items) | Value::Object(items), Type::Map(element)) => {
            w(rmp::encode::write_map_len(out, len_u32(items.len())?));
            for (key, item) in items {
                w(rmp::encode::write_str(out, key));
                encode_value(out, item, element)
                    .map_err(|e| e.within(PathStep::ElementKeyString(key.clone())))?;
            }
            Ok(())
        }
        (Value::Object(attributes), Type::Object(types)) => {
            if let Some(extra) = attributes.keys().find(|name| !types.contains_key(*name)) {
                return Err(CodecError::here(format!(
                    "attribute {extra:?} is not part of the object type"
                )));
            }
            w(rmp::encode::write_map_len(out, len_u32(types.len())?));
            for (name, attribute_type) in types {
                w(rmp::encode::write_str(out, name));
                let attribute = attributes.get(name).unwrap_or(&Value::Null);
                encode_value(out, attribute, attribute_type)
                    .map_err(|e| e.within(PathStep::Attribute(name.clone())))?;
            }
            Ok(())
        }
        (Value::Tuple(items) | Value::List(items), Type::Tuple(types)) => {
            if items.len() != types.len() {
                return Err(CodecError::here(format!(
                    "tuple of {} elements for a type of {}",
                    items.len(),
                    types.len()
                )));
            }
            w(rmp::encode::write_array_len(out, len_u32(items.len())?));
            for (index, (item, element)) in items.iter().zip(types).enumerate() {
                encode_value(out, item, element)
                    .map_err(|e| e.within(PathStep::ElementKeyInt(index as i64)))?;
            }
            Ok(())
        }
        _ => Err(mismatch(ty, value)),
    }
}

/// The type a known value implies, for values of dynamic attributes.
pub(super) fn implied_type(value: &Value) -> Type {
    match value {
        Value::Null | Value::Unknown(_) => Type::Dynamic,
        Value::Bool(_) => Type::Bool,
        Value::Number(_) => Type::Number,
        Value::String(_) => Type::String,
        Value::List(items) => Type::list(items.first().map_or(Type::Dynamic, implied_type)),
        Value::Set(items) => Type::set(items.first().map_or(Type::Dynamic, implied_type)),
        Value::Tuple(items) => Type::Tuple(items.iter().map(implied_type).collect()),
        Value::Map(items) => Type::map(items.values().next().map_or(Type::Dynamic, implied_type)),
        Value::Object(attributes) => Type::Object(
            attributes
                .iter()
                .map(|(name, v)| (name.clone(), implied_type(v)))
                .collect(),
        ),
    }
}

fn encode_unknown(out: &mut Vec<u8>, refinements: &Refinements, ty: &Type) {
    let mut body = Vec::new();
    let mut entries = 0u32;
    if refinements.not_null {
        entries += 1;
        w(rmp::encode::write_sint(&mut body, REFINE_NULLNESS));
        w(rmp::encode::write_bool(&mut body, false));
    }
    match ty {
        Type::String => {
            if let Some(prefix) = refinements
                .string_prefix
                .as_deref()
                .filter(|p| !p.is_empty())
            {
                entries += 1;
                w(rmp::encode::write_sint(&mut body, REFINE_STRING_PREFIX));
                w(rmp::encode::write_str(&mut body, prefix));
            }
        }
        Type::Number => {
            for (key, bound) in [
                (REFINE_NUMBER_MIN, &refinements.number_lower),
                (REFINE_NUMBER_MAX, &refinements.number_upper),
            ] {
                if let Some((number, inclusive)) = bound {
                    entries += 1;
                    w(rmp::encode::write_sint(&mut body, key));
                    w(rmp::encode::write_array_len(&mut body, 2));
                    encode_number(&mut body, number);
                    w(rmp::encode::write_bool(&mut body, *inclusive));
                }
            }
        }
        Type::List(_) | Type::Set(_) | Type::Map(_) => {
            for (key, bound) in [
                (
                    REFINE_LENGTH_MIN,
                    refinements.length_lower.filter(|n| *n > 0),
                ),
                (REFINE_LENGTH_MAX, refinements.length_upper),
            ] {
                if let Some(bound) = bound {
                    entries += 1;
                    w(rmp::encode::write_sint(&mut body, key));
                    w(rmp::encode::write_uint(&mut body, bound));
                }
            }
        }
        _ => {}
    }
    // Dynamic values never carry refinements; no refinements use the compact form.
    if entries == 0 || *ty == Type::Dynamic {
        out.extend_from_slice(&[0xd4, 0, 0]);
        return;
    }
    let mut payload = Vec::with_capacity(body.len() + 1);
    w(rmp::encode::write_map_len(&mut payload, entries));
    payload.extend_from_slice(&body);
    w(rmp::encode::write_ext_meta(
        out,
        payload.len() as u32,
        REFINED_UNKNOWN_EXT,
    ));
    out.extend_from_slice(&payload);
}

// ---------------------------------------------------------------------------------------------
// Decoding

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

enum Int {
    Signed(i64),
    Unsigned(u64),
}

impl<'a> Reader<'a> {
    fn peek(&self) -> Result<u8, CodecError> {
        self.bytes
            .get(self.pos)
            .copied()
            .ok_or_else(|| CodecError::here("unexpected end of msgpack data"))
    }

    fn byte(&mut self) -> Result<u8, CodecError> {
        let b = self.peek()?;
        self.pos += 1;
        Ok(b)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], CodecError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|end| *end <= self.bytes.len())
            .ok_or_else(|| CodecError::here("unexpected end of msgpack data"))?;
        let slice = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(slice)
    }

    fn be(&mut self, n: usize) -> Result<u64, CodecError> {
        Ok(self
            .take(n)?
            .iter()
            .fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
    }

    fn len(&mut self, n: usize) -> Result<usize, CodecError> {
        let len = self.be(n)? as usize;
        // A length can never exceed what is left; refuse before allocating.
        if len > self.bytes.len() - self.pos.min(self.bytes.len()) {
            return Err(CodecError::here("length exceeds the data"));
        }
        Ok(len)
    }

    fn is_ext(marker: u8) -> bool {
        matches!(marker, 0xd4..=0xd8 | 0xc7..=0xc9)
    }

    fn ext(&mut self) -> Result<(i8, &'a [u8]), CodecError> {
        let marker = self.byte()?;
        let len = match marker {
            0xd4 => 1,
            0xd5 => 2,
            0xd6 => 4,
            0xd7 => 8,
            0xd8 => 16,
            0xc7 => self.len(1)?,
            0xc8 => self.len(2)?,
            0xc9 => self.len(4)?,
            _ => {
                return Err(CodecError::here("expected a msgpack extension"));
            }
        };
        let ty = self.byte()? as i8;
        Ok((ty, self.take(len)?))
    }

    fn int(&mut self) -> Result<Option<Int>, CodecError> {
        let marker = self.peek()?;
        let int = match marker {
            0x00..=0x7f => Int::Signed(i64::from(marker)),
            0xe0..=0xff => Int::Signed(i64::from(marker as i8)),
            0xcc => Int::Unsigned(self.at(1, 1)?),
            0xcd => Int::Unsigned(self.at(1, 2)?),
            0xce => Int::Unsigned(self.at(1, 4)?),
            0xcf => Int::Unsigned(self.at(1, 8)?),
            0xd0 => Int::Signed(i64::from(self.at(1, 1)? as u8 as i8)),
            0xd1 => Int::Signed(i64::from(self.at(1, 2)? as u16 as i16)),
            0xd2 => Int::Signed(i64::from(self.at(1, 4)? as u32 as i32)),
            0xd3 => Int::Signed(self.at(1, 8)? as i64),
            _ => return Ok(None),
        };
        let size = match marker {
            0x00..=0x7f | 0xe0..=0xff => 1,
            0xcc | 0xd0 => 2,
            0xcd | 0xd1 => 3,
            0xce | 0xd2 => 5,
            _ => 9,
        };
        self.pos += size;
        Ok(Some(int))
    }

    /// Reads `n` big-endian bytes at `offset` past the current position without consuming.
    fn at(&self, offset: usize, n: usize) -> Result<u64, CodecError> {
        let start = self.pos + offset;
        let slice = self
            .bytes
            .get(start..start + n)
            .ok_or_else(|| CodecError::here("unexpected end of msgpack data"))?;
        Ok(slice.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
    }

    fn str_len(&mut self) -> Result<Option<usize>, CodecError> {
        let marker = self.peek()?;
        let len = match marker {
            0xa0..=0xbf => {
                self.pos += 1;
                usize::from(marker & 0x1f)
            }
            0xd9 | 0xc4 => {
                self.pos += 1;
                self.len(1)?
            }
            0xda | 0xc5 => {
                self.pos += 1;
                self.len(2)?
            }
            0xdb | 0xc6 => {
                self.pos += 1;
                self.len(4)?
            }
            _ => return Ok(None),
        };
        Ok(Some(len))
    }

    fn string(&mut self) -> Result<String, CodecError> {
        let len = self
            .str_len()?
            .ok_or_else(|| CodecError::here("expected a string"))?;
        let bytes = self.take(len)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| CodecError::here("string is not valid UTF-8"))
    }

    fn array_len(&mut self) -> Result<usize, CodecError> {
        let marker = self.byte()?;
        match marker {
            0x90..=0x9f => Ok(usize::from(marker & 0x0f)),
            0xdc => self.len(2),
            0xdd => self.len(4),
            _ => Err(CodecError::here("expected an array")),
        }
    }

    fn map_len(&mut self) -> Result<usize, CodecError> {
        let marker = self.byte()?;
        match marker {
            0x80..=0x8f => Ok(usize::from(marker & 0x0f)),
            0xde => self.len(2),
            0xdf => self.len(4),
            _ => Err(CodecError::here("expected a map")),
        }
    }

    fn number(&mut self) -> Result<Number, CodecError> {
        if let Some(int) = self.int()? {
            return Ok(match int {
                Int::Signed(i) => Number::Int(i),
                Int::Unsigned(u) => match i64::try_from(u) {
                    Ok(i) => Number::Int(i),
                    Err(_) => Number::Decimal(u.to_string()),
                },
            });
        }
        match self.peek()? {
            0xca => {
                self.pos += 1;
                let bits = self.be(4)? as u32;
                Ok(Number::Float(f64::from(f32::from_bits(bits))))
            }
            0xcb => {
                self.pos += 1;
                Ok(Number::Float(f64::from_bits(self.be(8)?)))
            }
            _ => {
                let text = self.string()?;
                if let Ok(i) = text.parse::<i64>() {
                    Ok(Number::Int(i))
                } else if text.parse::<f64>().is_ok() {
                    Ok(Number::Decimal(text))
                } else {
                    Err(CodecError::here(format!("{text:?} is not a number")))
                }
            }
        }
    }

    fn skip(&mut self) -> Result<(), CodecError> {
        let marker = self.peek()?;
        if self.int()?.is_some() {
            return Ok(());
        }
        if Self::is_ext(marker) {
            self.ext()?;
            return Ok(());
        }
        if let Some(len) = self.str_len()? {
            self.take(len)?;
            return Ok(());
        }
        match marker {
            0xc0 | 0xc2 | 0xc3 => self.pos += 1,
            0xca => self.pos += 5,
            0xcb => self.pos += 9,
            0x90..=0x9f | 0xdc | 0xdd => {
                for _ in 0..self.array_len()? {
                    self.skip()?;
                }
            }
            0x80..=0x8f | 0xde | 0xdf => {
                for _ in 0..self.map_len()? * 2 {
                    self.skip()?;
                }
            }
            _ => {
                return Err(CodecError::here(format!(
                    "invalid msgpack marker 0x{marker:02x}"
                )));
            }
        }
        Ok(())
    }
}

fn decode_value(reader: &mut Reader<'_>, ty: &Type) -> Result<Value, CodecError> {
    let marker = reader.peek()?;
    if marker == 0xc0 {
        reader.pos += 1;
        return Ok(Value::Null);
    }
    if Reader::is_ext(marker) {
        let (ext_type, payload) = reader.ext()?;
        return decode_unknown(ext_type, payload, ty);
    }
    match ty {
        Type::Dynamic => {
            if reader.array_len()? != 2 {
                return Err(CodecError::here("a dynamic value must be [type, value]"));
            }
            let type_len = reader
                .str_len()?
                .ok_or_else(|| CodecError::here("expected the type of a dynamic value"))?;
            let type_json: serde_json::Value = serde_json::from_slice(reader.take(type_len)?)
                .map_err(|err| CodecError::here(format!("invalid type JSON: {err}")))?;
            let concrete =
                Type::from_json(&type_json).map_err(|err| CodecError::here(err.message))?;
            decode_value(reader, &concrete)
        }
        Type::String => Ok(Value::String(reader.string()?)),
        Type::Number => Ok(Value::Number(reader.number()?)),
        Type::Bool => match reader.byte()? {
            0xc2 => Ok(Value::Bool(false)),
            0xc3 => Ok(Value::Bool(true)),
            _ => Err(CodecError::here("expected a bool")),
        },
        Type::List(element) | Type::Set(element) => {
            let len = reader.array_len()?;
            let mut items = Vec::with_capacity(len.min(1024));
            for index in 0..len {
                items.push(
                    decode_value(reader, element)
                        .map_err(|e| e.within(PathStep::ElementKeyInt(index as i64)))?,
                );
            }
            Ok(if matches!(ty, Type::Set(_)) {
                Value::Set(items)
            } else {
                Value::List(items)
            })
        }
        Type::Map(element) => {
            let len = reader.map_len()?;
            let mut items = BTreeMap::new();
            for _ in 0..len {
                let key = reader.string()?;
                let item = match decode_value(reader, element) {
                    Ok(item) => item,
                    Err(err) => return Err(err.within(PathStep::ElementKeyString(key))),
                };
                items.insert(key, item);
            }
            Ok(Value::Map(items))
        }
        Type::Object(types) => {
            let len = reader.map_len()?;
            let mut attributes = BTreeMap::new();
            for _ in 0..len {
                let name = reader.string()?;
                let Some(attribute_type) = types.get(&name) else {
                    return Err(CodecError::here(format!("unsupported attribute {name:?}")));
                };
                let attribute = match decode_value(reader, attribute_type) {
                    Ok(attribute) => attribute,
                    Err(err) => return Err(err.within(PathStep::Attribute(name))),
                };
                attributes.insert(name, attribute);
            }
            if let Some(missing) = types.keys().find(|name| !attributes.contains_key(*name)) {
                return Err(CodecError::here(format!("missing attribute {missing:?}")));
            }
            Ok(Value::Object(attributes))
        }
        Type::Tuple(types) => {
            let len = reader.array_len()?;
            if len != types.len() {
                return Err(CodecError::here(format!(
                    "tuple of {len} elements for a type of {}",
                    types.len()
                )));
            }
            let mut items = Vec::with_capacity(len);
            for (index, element) in types.iter().enumerate() {
                items.push(
                    decode_value(reader, element)
                        .map_err(|e| e.within(PathStep::ElementKeyInt(index as i64)))?,
                );
            }
            Ok(Value::Tuple(items))
        }
    }
}

fn decode_unknown(ext_type: i8, payload: &[u8], ty: &Type) -> Result<Value, CodecError> {
    // Zero- or one-byte payloads are the plain unknown, whatever the extension type.
    if payload.len() <= 1 || ext_type != REFINED_UNKNOWN_EXT || *ty == Type::Dynamic {
        return Ok(Value::unknown());
    }
    if payload.len() > MAX_REFINEMENT_BYTES {
        return Err(CodecError::here("oversize unknown value refinement"));
    }
    let mut reader = Reader {
        bytes: payload,
        pos: 0,
    };
    let mut refinements = Refinements::default();
    let entries = reader.map_len()?;
    for _ in 0..entries {
        let key = match reader.int()? {
            Some(Int::Signed(i)) => i,
            Some(Int::Unsigned(u)) => i64::try_from(u).unwrap_or(i64::MAX),
            None => {
                return Err(CodecError::here("refinement key is not an integer"));
            }
        };
        match key {
            REFINE_NULLNESS => match reader.byte()? {
                0xc2 => refinements.not_null = true,
                0xc3 => return Ok(Value::Null),
                _ => {
                    return Err(CodecError::here("nullness refinement is not a bool"));
                }
            },
            REFINE_STRING_PREFIX => refinements.string_prefix = Some(reader.string()?),
            REFINE_NUMBER_MIN | REFINE_NUMBER_MAX => {
                if reader.array_len()? != 2 {
                    return Err(CodecError::here("number bound must be [number, bool]"));
                }
                let bound = reader.number()?;
                let inclusive = match reader.byte()? {
                    0xc2 => false,
                    0xc3 => true,
                    _ => {
                        return Err(CodecError::here("number bound must be [number, bool]"));
                    }
                };
                if key == REFINE_NUMBER_MIN {
                    refinements.number_lower = Some((bound, inclusive));
                } else {
                    refinements.number_upper = Some((bound, inclusive));
                }
            }
            REFINE_LENGTH_MIN | REFINE_LENGTH_MAX => {
                let bound = match reader.int()? {
                    Some(Int::Signed(i)) => u64::try_from(i).unwrap_or(0),
                    Some(Int::Unsigned(u)) => u,
                    None => {
                        return Err(CodecError::here("length bound is not an integer"));
                    }
                };
                if key == REFINE_LENGTH_MIN {
                    refinements.length_lower = Some(bound);
                } else {
                    refinements.length_upper = Some(bound);
                }
            }
            // Refinements added by later Terraform versions are ignored, as cty does.
            _ => reader.skip()?,
        }
    }
    Ok(Value::Unknown(fitted_to(refinements, ty)))
}

/// Only the refinements that mean something for `ty`, as cty keeps them (and as
/// `encode_unknown` writes them): a prefix for strings, bounds for numbers, lengths for
/// collections, and no lower length bound of 0 (every collection has it).
fn fitted_to(refinements: Refinements, ty: &Type) -> Refinements {
    let mut fitted = Refinements {
        not_null: refinements.not_null,
        ..Refinements::default()
    };
    match ty {
        Type::String => {
            fitted.string_prefix = refinements.string_prefix.filter(|p| !p.is_empty());
        }
        Type::Number => {
            fitted.number_lower = refinements.number_lower;
            fitted.number_upper = refinements.number_upper;
        }
        Type::List(_) | Type::Set(_) | Type::Map(_) => {
            fitted.length_lower = refinements.length_lower.filter(|n| *n > 0);
            fitted.length_upper = refinements.length_upper;
        }
        _ => {}
    }
    fitted
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object_type() -> Type {
        Type::object([("a", Type::String), ("b", Type::Number)])
    }

    #[test]
    fn object_encodes_every_attribute_absent_ones_as_nil() {
        let value = Value::object([("a", Value::from("x"))]);
        // fixmap(2) "a" "x" "b" nil
        assert_eq!(
            encode(&value, &object_type()).unwrap(),
            vec![0x82, 0xa1, b'a', 0xa1, b'x', 0xa1, b'b', 0xc0]
        );
    }

    #[test]
    fn plain_unknown_is_fixext1_type_zero() {
        assert_eq!(
            encode(&Value::unknown(), &Type::String).unwrap(),
            vec![0xd4, 0, 0]
        );
        assert_eq!(
            decode(&[0xd4, 0, 0], &Type::String).unwrap(),
            Value::unknown()
        );
        // Any other extension is an unknown too.
        assert_eq!(
            decode(&[0xd5, 7, 1, 2], &Type::Number).unwrap(),
            Value::unknown()
        );
    }

    #[test]
    fn refined_unknown_round_trips_with_the_cty_layout() {
        let refined = Value::Unknown(Refinements {
            not_null: true,
            string_prefix: Some("arn:".into()),
            ..Refinements::default()
        });
        let bytes = encode(&refined, &Type::String).unwrap();
        // ext8 len=9 type=12, fixmap(2) 1 false 2 "arn:"
        assert_eq!(
            bytes,
            vec![
                0xc7, 9, 12, 0x82, 0x01, 0xc2, 0x02, 0xa4, b'a', b'r', b'n', b':'
            ]
        );
        assert_eq!(decode(&bytes, &Type::String).unwrap(), refined);
    }

    #[test]
    fn decodes_hand_built_number_and_length_refinements() {
        // fixext? no: ext8 len 9 type 12: {3: [0, true], 4: [10, false]}
        let bytes = [
            0xc7, 9, 12, 0x82, 0x03, 0x92, 0x00, 0xc3, 0x04, 0x92, 0x0a, 0xc2,
        ];
        let value = decode(&bytes, &Type::Number).unwrap();
        let Value::Unknown(refinements) = value else {
            panic!("expected unknown")
        };
        assert_eq!(refinements.number_lower, Some((Number::Int(0), true)));
        assert_eq!(refinements.number_upper, Some((Number::Int(10), false)));

        // {5: 1, 6: 3, 9: "future"} on a list: unknown key 9 is skipped.
        let bytes = [
            0xc7, 13, 12, 0x83, 0x05, 0x01, 0x06, 0x03, 0x09, 0xa6, b'f', b'u', b't', b'u', b'r',
            b'e',
        ];
        let Value::Unknown(refinements) = decode(&bytes, &Type::list(Type::String)).unwrap() else {
            panic!("expected unknown")
        };
        assert_eq!(
            (refinements.length_lower, refinements.length_upper),
            (Some(1), Some(3))
        );
    }

    #[test]
    fn numbers_decode_from_every_msgpack_width() {
        let cases: Vec<(Vec<u8>, Number)> = vec![
            (vec![0x05], Number::Int(5)),
            (vec![0xff], Number::Int(-1)),
            (vec![0xcc, 200], Number::Int(200)),
            (vec![0xcd, 0x01, 0x00], Number::Int(256)),
            (vec![0xce, 0, 1, 0, 0], Number::Int(65536)),
            (vec![0xcf, 0, 0, 0, 1, 0, 0, 0, 0], Number::Int(1 << 32)),
            (
                vec![0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
                Number::Decimal(u64::MAX.to_string()),
            ),
            (vec![0xd0, 0x80], Number::Int(-128)),
            (vec![0xd1, 0xff, 0x00], Number::Int(-256)),
            (vec![0xd2, 0xff, 0xff, 0xff, 0xfe], Number::Int(-2)),
            (
                vec![0xd3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfd],
                Number::Int(-3),
            ),
            (vec![0xca, 0x3f, 0xc0, 0x00, 0x00], Number::Float(1.5)),
            (vec![0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0], Number::Float(1.5)),
            (vec![0xa2, b'4', b'2'], Number::Int(42)),
        ];
        for (bytes, expected) in cases {
            match decode(&bytes, &Type::Number).unwrap() {
                Value::Number(n) => assert_eq!(n, expected, "{bytes:02x?}"),
                other => panic!("{bytes:02x?} decoded to {other:?}"),
            }
        }
    }

    #[test]
    fn numbers_encode_as_cty_does() {
        assert_eq!(encode(&Value::from(3), &Type::Number).unwrap(), vec![0x03]);
        assert_eq!(encode(&Value::from(-1), &Type::Number).unwrap(), vec![0xff]);
        assert_eq!(
            encode(&Value::Number(Number::Float(1.5)), &Type::Number).unwrap(),
            vec![0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0]
        );
        assert_eq!(
            encode(&Value::Number(Number::Float(2.0)), &Type::Number).unwrap(),
            vec![0x02]
        );
        assert_eq!(
            encode(
                &Value::Number(Number::Decimal("1e400".into())),
                &Type::Number
            )
            .unwrap(),
            vec![0xa5, b'1', b'e', b'4', b'0', b'0']
        );
    }

    #[test]
    fn nested_collections_round_trip() {
        let ty = Type::object([
            ("list", Type::list(Type::String)),
            ("set", Type::set(Type::Number)),
            ("map", Type::map(Type::Bool)),
            (
                "blocks",
                Type::list(Type::object([
                    ("name", Type::String),
                    ("size", Type::Number),
                ])),
            ),
            ("tuple", Type::Tuple(vec![Type::String, Type::Bool])),
            ("dynamic", Type::Dynamic),
        ]);
        let value = Value::object([
            ("list", Value::List(vec!["a".into(), "b".into()])),
            ("set", Value::Set(vec![Value::from(1), Value::from(2)])),
            (
                "map",
                Value::Map([("k".to_string(), Value::Bool(true))].into()),
            ),
            (
                "blocks",
                Value::List(vec![Value::object([
                    ("name", Value::from("x")),
                    ("size", Value::Null),
                ])]),
            ),
            ("tuple", Value::Tuple(vec!["t".into(), Value::Bool(false)])),
            ("dynamic", Value::object([("inner", Value::from("v"))])),
        ]);
        let bytes = encode(&value, &ty).unwrap();
        assert_eq!(decode(&bytes, &ty).unwrap(), value);
    }

    #[test]
    fn dynamic_is_type_json_then_value() {
        let bytes = encode(&Value::from("x"), &Type::Dynamic).unwrap();
        // fixarray(2), bin8 len 8 "\"string\"", fixstr "x"
        let mut expected = vec![0x92, 0xc4, 8];
        expected.extend_from_slice(b"\"string\"");
        expected.extend_from_slice(&[0xa1, b'x']);
        assert_eq!(bytes, expected);
        assert_eq!(decode(&bytes, &Type::Dynamic).unwrap(), Value::from("x"));
        assert_eq!(encode(&Value::Null, &Type::Dynamic).unwrap(), vec![0xc0]);
    }

    #[test]
    fn errors_say_where() {
        let ty = Type::object([("a", Type::object([("b", Type::list(Type::String))]))]);
        let value = Value::object([(
            "a",
            Value::object([("b", Value::List(vec!["ok".into(), Value::from(1)]))]),
        )]);
        let err = encode(&value, &ty).unwrap_err();
        assert_eq!(err.path.to_string(), "a.b[1]");

        // {"a": {"b": ["ok", 1]}} as bytes: the number where a string belongs.
        let bytes = [
            0x81, 0xa1, b'a', 0x81, 0xa1, b'b', 0x92, 0xa2, b'o', b'k', 0x01,
        ];
        let err = decode(&bytes, &ty).unwrap_err();
        assert_eq!(err.path.to_string(), "a.b[1]");
    }

    #[test]
    fn objects_with_missing_or_extra_attributes_are_rejected_on_decode() {
        // {"a": "x"} without b
        assert!(decode(&[0x81, 0xa1, b'a', 0xa1, b'x'], &object_type()).is_err());
        // {"a": "x", "b": 1, "c": nil}
        let extra = [
            0x83, 0xa1, b'a', 0xa1, b'x', 0xa1, b'b', 0x01, 0xa1, b'c', 0xc0,
        ];
        assert!(decode(&extra, &object_type()).is_err());
    }

    #[test]
    fn truncated_or_hostile_input_is_an_error_not_a_panic() {
        for bytes in [
            vec![],
            vec![0xa5, b'a'],
            vec![0xdd, 0xff, 0xff, 0xff, 0xff],
            vec![0xc7, 0xff, 12],
            vec![0xc1],
        ] {
            assert!(
                decode(&bytes, &Type::list(Type::String)).is_err(),
                "{bytes:02x?}"
            );
        }
    }
}
