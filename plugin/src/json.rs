//! The little of JSON that a JaaS delivery needs: objects, text and whole numbers.
//!
//! `serde_json::Value` would do, but it keeps every number and array and sorts members
//! into B-trees; and serde's typed paths report a wrong type by printing the value found,
//! which links float formatting into the component. This reader takes whatever is there
//! (`deserialize_any`) and keeps only objects, text and integers.

use crate::prelude::*;
use core::fmt;
use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// A JSON value, as far as meetkit reads one.
#[derive(Debug, PartialEq)]
pub enum Json {
    Text(String),
    Integer(i64),
    /// The members in order of appearance.
    Object(Vec<(String, Json)>),
    /// Anything else: an array, a fraction, a boolean, null.
    Other,
}

/// Deeper than any delivery JaaS sends. Checked before parsing: serde's parser skips a
/// value it ignores without a depth limit, and a body of nothing but brackets would
/// spend the call's whole budget of instructions on it.
const MAX_DEPTH: usize = 32;

/// More values (arrays, objects and the members and items in them) than any delivery
/// JaaS sends: the speaker statistics of a meeting of 500 hold a few thousand. Parsing
/// costs per value, and 256 KiB of small nested arrays would cost more instructions than
/// a call may spend (a failure JaaS would deliver again and again).
const MAX_VALUES: usize = 50_000;

/// Why `text` is refused before parsing: more than [`MAX_DEPTH`] arrays or objects
/// inside one another, or more than [`MAX_VALUES`] values.
fn too_costly(text: &str) -> Option<String> {
    let (mut depth, mut values, mut in_text, mut escaped) = (0usize, 0usize, false, false);
    for b in text.bytes() {
        if in_text {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_text = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_text = true,
            b'[' | b'{' => {
                depth += 1;
                values += 1;
                if depth > MAX_DEPTH {
                    return Some(format!("it nests deeper than {MAX_DEPTH} levels"));
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            b',' => values += 1,
            _ => {}
        }
        if values > MAX_VALUES {
            return Some(format!("it holds more than {MAX_VALUES} values"));
        }
    }
    None
}

impl Json {
    /// Parses a JSON text; the error says where it stops being JSON.
    pub fn parse(text: &str) -> Result<Json, String> {
        if let Some(why) = too_costly(text) {
            return Err(why);
        }
        serde_json::from_str(text).map_err(|e| e.to_string())
    }

    /// The member `name` of an object: the last one when the name repeats (8x8's own
    /// samples repeat `appId`). None for a missing member or when this is no object.
    pub fn member(&self, name: &str) -> Option<&Json> {
        match self {
            Json::Object(members) => {
                members.iter().rev().find(|(key, _)| key == name).map(|(_, value)| value)
            }
            _ => None,
        }
    }

    pub fn is_object(&self) -> bool {
        matches!(self, Json::Object(_))
    }
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Json, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

/// Accepts every kind of JSON value, so that serde never builds a "wrong type" error.
struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Json, E> {
        Ok(Json::Other)
    }

    fn visit_i64<E>(self, v: i64) -> Result<Json, E> {
        Ok(Json::Integer(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Json, E> {
        Ok(i64::try_from(v).map_or(Json::Other, Json::Integer))
    }

    fn visit_f64<E>(self, _: f64) -> Result<Json, E> {
        Ok(Json::Other)
    }

    fn visit_str<E>(self, v: &str) -> Result<Json, E> {
        Ok(Json::Text(v.into()))
    }

    fn visit_string<E>(self, v: String) -> Result<Json, E> {
        Ok(Json::Text(v))
    }

    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Other)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<Json, A::Error> {
        while items.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Json::Other)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut members = Vec::new();
        while let Some(member) = map.next_entry::<String, Json>()? {
            members.push(member);
        }
        Ok(Json::Object(members))
    }
}

#[cfg(test)]
mod tests {
    use super::Json::{self, *};
    use crate::prelude::*;

    #[test]
    fn keeps_objects_text_and_integers_and_the_last_of_repeated_members() {
        let json =
            Json::parse(r#"{"a": "x", "n": -3, "f": 1.5, "l": [1, {"z": 2}], "a": "y", "o": {"b": null}}"#)
                .unwrap();
        assert_eq!(json.member("a"), Some(&Text("y".into())));
        assert_eq!(json.member("n"), Some(&Integer(-3)));
        assert_eq!(json.member("f"), Some(&Other));
        assert_eq!(json.member("l"), Some(&Other));
        assert_eq!(json.member("o").and_then(|o| o.member("b")), Some(&Other));
        assert_eq!(json.member("missing"), None);
        assert_eq!(Json::parse("18446744073709551615").unwrap(), Other, "beyond i64");
        assert!(!Json::parse("[1]").unwrap().is_object());
        assert!(Json::parse("{\"a\": ").is_err());
        assert!(Json::parse("{} x").is_err(), "trailing text");
    }

    #[test]
    fn refuses_deep_nesting_before_parsing_but_not_brackets_in_text() {
        let deep = format!("{{\"data\": {}{}}}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(Json::parse(&deep).unwrap_err().contains("deeper than 32"));
        let in_text = format!("{{\"a\": \"{}\\\"{}\"}}", "[".repeat(100), "{".repeat(100));
        assert_eq!(Json::parse(&in_text).unwrap().member("a").map(|_| ()), Some(()));
        let nested_32 = format!("{}{}", "[".repeat(32), "]".repeat(32));
        assert_eq!(Json::parse(&nested_32).unwrap(), Other);
    }

    #[test]
    fn refuses_more_values_than_a_delivery_holds_before_parsing() {
        let nest = format!("{}1{}", "[".repeat(28), "]".repeat(28));
        let many = format!("{{\"junk\": [{}]}}", vec![nest; 3000].join(","));
        assert!(many.len() < 256 * 1024, "within the size a delivery may have");
        assert!(Json::parse(&many).unwrap_err().contains("more than 50000 values"));
        let commas_in_text = format!("{{\"a\": \"{}\"}}", ",".repeat(60_000));
        assert!(Json::parse(&commas_in_text).is_ok(), "commas in text are no values");
        let stats = format!("{{\"speakers\": [{}]}}", vec![r#"{"id": "x", "time": 1}"#; 500].join(","));
        assert!(Json::parse(&stats).is_ok());
    }
}
