//! Shared fixtures and proptest strategies for the encoding tests.

use std::collections::BTreeSet;

use proptest::prelude::*;
use proptest::strategy::Union;

use super::{Number, ObjectType, Type, Value};

/// A number value parsed from decimal text.
pub(crate) fn num(text: &str) -> Value {
    Value::Number(Number::parse(text).unwrap())
}

fn s(text: &str) -> Value {
    Value::from(text)
}

/// A table of `(value, type)` pairs in the form decoders produce them
/// (objects with every attribute, explicit dynamic wrappers, canonical
/// sets). With `with_unknowns`, also pairs containing unknown values.
pub(crate) fn cases(with_unknowns: bool) -> Vec<(Value, Type)> {
    let mut known: Vec<(Value, Type)> = Vec::new();
    let mut unknown: Vec<(Value, Type)> = Vec::new();

    // Primitive types.
    for text in [
        "",
        "hello",
        "ünïcödé €😀",
        "with \"quotes\" and \\ \n\t\u{0}",
    ] {
        known.push((s(text), Type::String));
    }
    known.push((Value::String("x".repeat(300)), Type::String));
    known.push((Value::String("y".repeat(70_000)), Type::String));
    for b in [true, false] {
        known.push((Value::from(b), Type::Bool));
    }
    for n in [
        0,
        1,
        -1,
        31,
        -32,
        -33,
        127,
        128,
        255,
        256,
        65535,
        65536,
        i64::from(i32::MAX),
        i64::from(i32::MIN),
        i64::from(u32::MAX) + 1,
        i64::MAX,
        i64::MIN,
    ] {
        known.push((Value::from(n), Type::Number));
    }
    for text in [
        "18446744073709551615",
        "18446744073709551616",
        "-9223372036854775809",
        "1e400",
        "-1e400",
        "1e-400",
        "1e5000",
        "-2.5e-5000",
        "0.1",
        "0.5",
        "-0.375",
        "0.1000000000000000000001",
        "3.14159265358979323846264338327950288419716939937510",
        "123456789.987654321",
        "4.9406564584124654417656879286822137236505980e-324",
        "179769313486231570000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
    ] {
        known.push((num(text), Type::Number));
    }

    // Collections.
    let list_s = Type::list(Type::String);
    known.push((Value::list([]), list_s.clone()));
    known.push((Value::list([s("a")]), list_s.clone()));
    known.push((Value::list([s("a"), Value::Null, s("a")]), list_s.clone()));
    known.push((
        Value::list((0..20).map(|i| Value::from(i.to_string()))),
        list_s.clone(),
    ));
    unknown.push((Value::list([s("a"), Value::Unknown]), list_s.clone()));

    let set_n = Type::set(Type::Number);
    known.push((Value::set([]), set_n.clone()));
    known.push((
        Value::set([Value::from(3), Value::from(1), num("1e400")]),
        set_n.clone(),
    ));
    known.push((Value::set([Value::Null]), set_n.clone()));
    unknown.push((
        Value::set([Value::Unknown, Value::Unknown, Value::from(1)]),
        set_n.clone(),
    ));

    let map_b = Type::map(Type::Bool);
    known.push((Value::map(Vec::<(String, Value)>::new()), map_b.clone()));
    known.push((
        Value::map([
            ("a", Value::from(true)),
            ("", Value::from(false)),
            ("n", Value::Null),
        ]),
        map_b.clone(),
    ));
    unknown.push((Value::map([("a", Value::Unknown)]), map_b.clone()));

    // Objects, including optional attributes.
    let obj = Type::object_with_optional(
        [
            ("name", Type::String),
            ("port", Type::Number),
            ("enabled", Type::Bool),
            ("labels", Type::map(Type::String)),
        ],
        ["port", "labels"],
    );
    known.push((
        Value::object([
            ("name", s("web")),
            ("port", Value::from(443)),
            ("enabled", Value::from(true)),
            ("labels", Value::map([("env", s("prod"))])),
        ]),
        obj.clone(),
    ));
    known.push((
        Value::object([
            ("name", s("web")),
            ("port", Value::Null),
            ("enabled", Value::Null),
            ("labels", Value::Null),
        ]),
        obj.clone(),
    ));
    unknown.push((
        Value::object([
            ("name", Value::Unknown),
            ("port", Value::Unknown),
            ("enabled", Value::from(false)),
            ("labels", Value::map([("env", Value::Unknown)])),
        ]),
        obj.clone(),
    ));
    known.push((
        Value::object(Vec::<(String, Value)>::new()),
        Type::object(Vec::<(String, Type)>::new()),
    ));

    // Tuples.
    let tup = Type::tuple([Type::String, Type::Number, Type::Bool]);
    known.push((
        Value::tuple([s("a"), Value::from(1), Value::from(true)]),
        tup.clone(),
    ));
    known.push((
        Value::tuple([Value::Null, Value::Null, Value::Null]),
        tup.clone(),
    ));
    known.push((Value::tuple([]), Type::tuple([])));
    unknown.push((
        Value::tuple([s("a"), Value::Unknown, Value::Null]),
        tup.clone(),
    ));

    // Dynamic.
    known.push((Value::dynamic(Type::String, s("x")), Type::Dynamic));
    known.push((Value::dynamic(Type::Number, num("1e400")), Type::Dynamic));
    known.push((Value::dynamic(Type::String, Value::Null), Type::Dynamic));
    known.push((
        Value::dynamic(
            Type::list(Type::Number),
            Value::list([Value::from(1), Value::Null]),
        ),
        Type::Dynamic,
    ));
    known.push((
        Value::dynamic(
            obj.clone(),
            Value::object([
                ("name", s("n")),
                ("port", Value::Null),
                ("enabled", Value::from(false)),
                ("labels", Value::map([("a", s("b"))])),
            ]),
        ),
        Type::Dynamic,
    ));
    known.push((
        Value::dynamic(Type::Dynamic, Value::dynamic(Type::Bool, Value::from(true))),
        Type::Dynamic,
    ));
    known.push((
        Value::dynamic(
            Type::list(Type::Dynamic),
            Value::list([Value::dynamic(Type::String, s("a")), Value::Null]),
        ),
        Type::Dynamic,
    ));
    known.push((
        Value::list([Value::dynamic(Type::Bool, Value::from(true)), Value::Null]),
        Type::list(Type::Dynamic),
    ));
    unknown.push((Value::dynamic(Type::String, Value::Unknown), Type::Dynamic));
    unknown.push((
        Value::list([
            Value::Unknown,
            Value::dynamic(Type::tuple([Type::String]), Value::tuple([Value::Unknown])),
        ]),
        Type::list(Type::Dynamic),
    ));

    // Nested structures.
    let rule = Type::object([
        ("port", Type::Number),
        ("protocols", Type::set(Type::String)),
    ]);
    let nested = Type::object([
        ("name", Type::String),
        ("rules", Type::list(rule.clone())),
        (
            "by_zone",
            Type::map(Type::list(Type::tuple([Type::String, Type::Number]))),
        ),
        ("extra", Type::Dynamic),
        (
            "groups",
            Type::set(Type::object([
                ("id", Type::String),
                ("tags", Type::map(Type::String)),
            ])),
        ),
    ]);
    let rule_value = |port: i64, protocols: &[&str]| {
        Value::object([
            ("port", Value::from(port)),
            ("protocols", Value::set(protocols.iter().map(|p| s(p)))),
        ])
    };
    known.push((
        Value::object([
            ("name", s("edge")),
            (
                "rules",
                Value::list([rule_value(80, &["http"]), rule_value(443, &["https", "h2"])]),
            ),
            (
                "by_zone",
                Value::map([
                    ("a", Value::list([Value::tuple([s("x"), num("0.25")])])),
                    ("b", Value::list([])),
                ]),
            ),
            (
                "extra",
                Value::dynamic(Type::map(Type::Number), Value::map([("k", Value::from(1))])),
            ),
            (
                "groups",
                Value::set([
                    Value::object([("id", s("g2")), ("tags", Value::Null)]),
                    Value::object([("id", s("g1")), ("tags", Value::map([("t", s("v"))]))]),
                ]),
            ),
        ]),
        nested.clone(),
    ));
    known.push((
        Value::object([
            ("name", Value::Null),
            ("rules", Value::Null),
            ("by_zone", Value::Null),
            ("extra", Value::Null),
            ("groups", Value::Null),
        ]),
        nested.clone(),
    ));
    unknown.push((
        Value::object([
            ("name", s("edge")),
            (
                "rules",
                Value::list([rule_value(80, &["http"]), Value::Unknown]),
            ),
            (
                "by_zone",
                Value::map([(
                    "a",
                    Value::list([Value::tuple([Value::Unknown, Value::from(1)])]),
                )]),
            ),
            ("extra", Value::Unknown),
            (
                "groups",
                Value::set([
                    Value::object([("id", Value::Unknown), ("tags", Value::Null)]),
                    Value::object([("id", Value::Unknown), ("tags", Value::Null)]),
                ]),
            ),
        ]),
        nested.clone(),
    ));

    // Null (and unknown) at the top of every type used above.
    let types: BTreeSet<Type> = known.iter().map(|(_, t)| t.clone()).collect();
    for ty in types {
        known.push((Value::Null, ty.clone()));
        unknown.push((Value::Unknown, ty));
    }

    if with_unknowns {
        known.extend(unknown);
    }
    known
}

/// Random types, up to four levels deep.
pub(crate) fn arb_type() -> impl Strategy<Value = Type> {
    let leaf = prop_oneof![
        Just(Type::String),
        Just(Type::Number),
        Just(Type::Bool),
        Just(Type::Dynamic),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(Type::list),
            inner.clone().prop_map(Type::set),
            inner.clone().prop_map(Type::map),
            prop::collection::vec(inner.clone(), 0..4).prop_map(Type::Tuple),
            (
                prop::collection::btree_map("[a-z_]{1,6}", inner, 0..4),
                any::<prop::sample::Index>(),
                any::<bool>(),
            )
                .prop_map(|(attributes, pick, has_optional)| {
                    let mut object = ObjectType {
                        attributes,
                        optional: BTreeSet::new(),
                    };
                    if has_optional && !object.attributes.is_empty() {
                        let names: Vec<_> = object.attributes.keys().cloned().collect();
                        object.optional.insert(pick.get(&names).clone());
                    }
                    Type::Object(object)
                }),
        ]
    })
}

/// Random numbers: integers of every range, floats, long decimals and
/// huge/tiny magnitudes.
pub(crate) fn arb_number() -> impl Strategy<Value = Number> {
    prop_oneof![
        any::<i64>().prop_map(Number::from),
        any::<u64>().prop_map(Number::from),
        (-1000i64..1000).prop_map(Number::from),
        any::<f64>().prop_filter_map("finite", |f| Number::try_from(f).ok()),
        ("-?[0-9]{1,30}", "[0-9]{0,30}", -1500i64..1500)
            .prop_map(|(i, f, e)| Number::parse(&format!("{i}.{f}e{e}")).unwrap()),
    ]
}

/// Random values of type `ty`, in decoded form. `dynamic_budget` bounds
/// how many dynamic wrappers may nest.
pub(crate) fn arb_value(ty: &Type, unknowns: bool, dynamic_budget: u32) -> BoxedStrategy<Value> {
    let elements = |et: &Type| prop::collection::vec(arb_value(et, unknowns, dynamic_budget), 0..4);
    let known: BoxedStrategy<Value> = match ty {
        Type::String => any::<String>().prop_map(Value::String).boxed(),
        Type::Number => arb_number().prop_map(Value::Number).boxed(),
        Type::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
        Type::List(et) => elements(et).prop_map(Value::List).boxed(),
        Type::Set(et) => elements(et).prop_map(Value::set).boxed(),
        Type::Map(et) => prop::collection::btree_map(
            any::<String>(),
            arb_value(et, unknowns, dynamic_budget),
            0..4,
        )
        .prop_map(Value::Map)
        .boxed(),
        Type::Object(object) => object
            .attributes
            .iter()
            .map(|(name, t)| {
                let name = name.clone();
                arb_value(t, unknowns, dynamic_budget).prop_map(move |v| (name.clone(), v))
            })
            .collect::<Vec<_>>()
            .prop_map(|pairs| Value::Object(pairs.into_iter().collect()))
            .boxed(),
        Type::Tuple(types) => types
            .iter()
            .map(|t| arb_value(t, unknowns, dynamic_budget))
            .collect::<Vec<_>>()
            .prop_map(Value::Tuple)
            .boxed(),
        Type::Dynamic => {
            let concrete = if dynamic_budget == 0 {
                prop_oneof![Just(Type::String), Just(Type::Number), Just(Type::Bool)].boxed()
            } else {
                arb_type().boxed()
            };
            concrete
                .prop_flat_map(move |t| {
                    arb_value(&t, unknowns, dynamic_budget.saturating_sub(1))
                        .prop_map(move |v| Value::dynamic(t.clone(), v))
                })
                .boxed()
        }
    };
    let mut options = vec![(1, Just(Value::Null).boxed()), (6, known)];
    if unknowns {
        options.push((1, Just(Value::Unknown).boxed()));
    }
    Union::new_weighted(options).boxed()
}

/// A random type with a random value of it.
pub(crate) fn arb_typed_value(unknowns: bool) -> impl Strategy<Value = (Type, Value)> {
    arb_type()
        .prop_flat_map(move |ty| arb_value(&ty, unknowns, 2).prop_map(move |v| (ty.clone(), v)))
}
