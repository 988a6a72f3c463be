//! The AWS IoT SQL function table (name, arity, documented signature, how it varies) that the
//! template parser checks calls against and the classifier reads. Source: the AWS IoT developer
//! guide, `iot-sql-functions.md` (function headings and argument descriptions).

/// How a function's result varies between records, apart from its arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Depends only on its arguments (`lower`, `md5`, `get`, ...).
    Pure,
    /// Reads the record's context: `clientid()`, `principal()`, `sourceip()`, MQTT properties.
    PerRecord,
    /// A fresh random value per message: `newuuid()`, `rand()`, `traceid()`.
    Random,
    /// The rules engine's clock: `timestamp()`.
    Time,
    /// `topic()` / `topic(n)`: constant or per-record depending on the rule's topic filter.
    Topic,
    /// Same for every record of a rule but not knowable from the template (`accountid()`,
    /// `sql_version()`).
    RuleConstant,
    /// Calls another service (Lambda, DynamoDB, shadows, ...): the result cannot be classified.
    External,
}

/// One IoT SQL function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FnSpec {
    /// Lower-case name (IoT matches function names case-insensitively).
    pub name: &'static str,
    pub min_args: usize,
    /// `None` = any number (`concat`).
    pub max_args: Option<usize>,
    /// The signature as the AWS guide writes it, for help texts.
    pub signature: &'static str,
    pub effect: Effect,
}

const fn f(
    name: &'static str,
    min_args: usize,
    max_args: usize,
    signature: &'static str,
    effect: Effect,
) -> FnSpec {
    FnSpec {
        name,
        min_args,
        max_args: Some(max_args),
        signature,
        effect,
    }
}

use Effect::*;

/// Every documented function, sorted by name (binary search).
pub static FUNCTIONS: &[FnSpec] = &[
    f("abs", 1, 1, "abs(Decimal)", Pure),
    f("accountid", 0, 0, "accountid()", RuleConstant),
    f("acos", 1, 1, "acos(Decimal)", Pure),
    f("asin", 1, 1, "asin(Decimal)", Pure),
    f("atan", 1, 1, "atan(Decimal)", Pure),
    f("atan2", 2, 2, "atan2(Decimal, Decimal)", Pure),
    f(
        "aws_lambda",
        2,
        2,
        "aws_lambda(functionArn, inputJson)",
        External,
    ),
    f("bitand", 2, 2, "bitand(Int, Int)", Pure),
    f("bitnot", 1, 1, "bitnot(Int)", Pure),
    f("bitor", 2, 2, "bitor(Int, Int)", Pure),
    f("bitxor", 2, 2, "bitxor(Int, Int)", Pure),
    // `cast(value AS type)`: the parser stores the type keyword as a second, string argument.
    f("cast", 2, 2, "cast(value AS type)", Pure),
    f("ceil", 1, 1, "ceil(Decimal)", Pure),
    f("chr", 1, 1, "chr(String)", Pure),
    f("clientid", 0, 0, "clientid()", PerRecord),
    FnSpec {
        name: "concat",
        min_args: 0,
        max_args: None,
        signature: "concat(value, ...)",
        effect: Pure,
    },
    f("cos", 1, 1, "cos(Decimal)", Pure),
    f("cosh", 1, 1, "cosh(Decimal)", Pure),
    f("decode", 2, 2, "decode(value, decodingScheme)", Pure),
    f("encode", 2, 2, "encode(value, encodingScheme)", Pure),
    f("endswith", 2, 2, "endswith(String, String)", Pure),
    f("exp", 1, 1, "exp(Decimal)", Pure),
    f("floor", 1, 1, "floor(Decimal)", Pure),
    f("get", 2, 2, "get(collection, keyOrIndex)", Pure),
    // sortKeyName/sortKeyValue are optional, so 4 or 6 arguments.
    f(
        "get_dynamodb",
        4,
        6,
        "get_dynamodb(tableName, partitionKeyName, partitionKeyValue[, sortKeyName, sortKeyValue], roleArn)",
        External,
    ),
    f(
        "get_mqtt_property",
        1,
        1,
        "get_mqtt_property(name)",
        PerRecord,
    ),
    f(
        "get_or_default",
        2,
        2,
        "get_or_default(expression, defaultValue)",
        Pure,
    ),
    f(
        "get_registry_data",
        3,
        3,
        "get_registry_data(registryAPI, thingName, roleArn)",
        External,
    ),
    f(
        "get_secret",
        3,
        4,
        "get_secret(secretId, secretType[, key], roleArn)",
        External,
    ),
    f(
        "get_thing_shadow",
        2,
        3,
        "get_thing_shadow(thingName[, shadowName], roleArn)",
        External,
    ),
    f(
        "get_user_properties",
        1,
        1,
        "get_user_properties(userPropertyKey)",
        PerRecord,
    ),
    f("indexof", 2, 2, "indexof(String, String)", Pure),
    f("isnull", 1, 1, "isNull(value)", Pure),
    f("isundefined", 1, 1, "isUndefined(value)", Pure),
    f("length", 1, 1, "length(String)", Pure),
    f("ln", 1, 1, "ln(Decimal)", Pure),
    f("log", 1, 1, "log(Decimal)", Pure),
    f("lower", 1, 1, "lower(String)", Pure),
    f("lpad", 2, 2, "lpad(String, Int)", Pure),
    f("ltrim", 1, 1, "ltrim(String)", Pure),
    f(
        "machinelearning_predict",
        3,
        3,
        "machinelearning_predict(modelId, roleArn, record)",
        External,
    ),
    f("md2", 1, 1, "md2(String)", Pure),
    f("md5", 1, 1, "md5(String)", Pure),
    f("mod", 2, 2, "mod(Decimal, Decimal)", Pure),
    f("nanvl", 2, 2, "nanvl(AnyValue, AnyValue)", Pure),
    f("newuuid", 0, 0, "newuuid()", Random),
    f("numbytes", 1, 1, "numbytes(String)", Pure),
    f(
        "parse_time",
        2,
        3,
        "parse_time(String, Long[, String])",
        Pure,
    ),
    f("power", 2, 2, "power(Decimal, Decimal)", Pure),
    f("principal", 0, 0, "principal()", PerRecord),
    f("rand", 0, 0, "rand()", Random),
    f(
        "regexp_matches",
        2,
        2,
        "regexp_matches(String, String)",
        Pure,
    ),
    f(
        "regexp_replace",
        3,
        3,
        "regexp_replace(String, String, String)",
        Pure,
    ),
    f("regexp_substr", 2, 2, "regexp_substr(String, String)", Pure),
    f("remainder", 2, 2, "remainder(Decimal, Decimal)", Pure),
    f("replace", 3, 3, "replace(String, String, String)", Pure),
    f("round", 1, 1, "round(Decimal)", Pure),
    f("rpad", 2, 2, "rpad(String, Int)", Pure),
    f("rtrim", 1, 1, "rtrim(String)", Pure),
    f("sha1", 1, 1, "sha1(String)", Pure),
    f("sha224", 1, 1, "sha224(String)", Pure),
    f("sha256", 1, 1, "sha256(String)", Pure),
    f("sha384", 1, 1, "sha384(String)", Pure),
    f("sha512", 1, 1, "sha512(String)", Pure),
    f("sign", 1, 1, "sign(Decimal)", Pure),
    f("sin", 1, 1, "sin(Decimal)", Pure),
    f("sinh", 1, 1, "sinh(Decimal)", Pure),
    f("sourceip", 0, 0, "sourceip()", PerRecord),
    f("sql_version", 0, 0, "sql_version()", RuleConstant),
    f("sqrt", 1, 1, "sqrt(Decimal)", Pure),
    f("startswith", 2, 2, "startswith(String, String)", Pure),
    f("substring", 2, 3, "substring(String, Int[, Int])", Pure),
    f("tan", 1, 1, "tan(Decimal)", Pure),
    f("tanh", 1, 1, "tanh(Decimal)", Pure),
    f("time_to_epoch", 2, 2, "time_to_epoch(String, String)", Pure),
    f("timestamp", 0, 0, "timestamp()", Time),
    f("topic", 0, 1, "topic([segment])", Topic),
    f("traceid", 0, 0, "traceid()", Random),
    f("transform", 3, 3, "transform(String, Object, Array)", Pure),
    f("trim", 1, 1, "trim(String)", Pure),
    f("trunc", 2, 2, "trunc(Decimal, Int)", Pure),
    f("upper", 1, 1, "upper(String)", Pure),
];

/// Looks a function up by its lower-case name.
pub fn lookup(lower_name: &str) -> Option<&'static FnSpec> {
    FUNCTIONS
        .binary_search_by(|s| s.name.cmp(lower_name))
        .ok()
        .map(|i| &FUNCTIONS[i])
}

/// "takes 0 or 1 arguments" / "takes 1 argument" / "takes at least 1 argument".
pub fn arity_text(spec: &FnSpec) -> String {
    let plural = |n: usize| if n == 1 { "argument" } else { "arguments" };
    match spec.max_args {
        None => format!("takes at least {} {}", spec.min_args, plural(spec.min_args)),
        Some(max) if max == spec.min_args => format!("takes {max} {}", plural(max)),
        Some(max) if max == spec.min_args + 1 => {
            format!("takes {} or {max} arguments", spec.min_args)
        }
        Some(max) => format!("takes {} to {max} arguments", spec.min_args),
    }
}

/// The known function closest to an unknown name, for a "did you mean" help.
pub fn closest(unknown: &str) -> Option<&'static str> {
    let unknown = unknown.to_ascii_lowercase();
    // A known name that contains the typed one (`uuid` → `newuuid`) is the likeliest intent.
    if unknown.len() >= 3
        && let Some(s) = FUNCTIONS.iter().find(|s| s.name.contains(unknown.as_str()))
    {
        return Some(s.name);
    }
    let best = FUNCTIONS
        .iter()
        .map(|s| (levenshtein(&unknown, s.name), s.name))
        .min()?;
    (best.0 <= 2.max(unknown.len() / 3)).then_some(best.1)
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_unique() {
        for w in FUNCTIONS.windows(2) {
            assert!(w[0].name < w[1].name, "{} !< {}", w[0].name, w[1].name);
        }
    }

    #[test]
    fn lookup_and_arity_text() {
        let topic = lookup("topic").unwrap();
        assert_eq!(arity_text(topic), "takes 0 or 1 arguments");
        assert_eq!(arity_text(lookup("lower").unwrap()), "takes 1 argument");
        assert_eq!(arity_text(lookup("newuuid").unwrap()), "takes 0 arguments");
        assert_eq!(
            arity_text(lookup("concat").unwrap()),
            "takes at least 0 arguments"
        );
        assert_eq!(
            arity_text(lookup("get_dynamodb").unwrap()),
            "takes 4 to 6 arguments"
        );
        assert!(lookup("uuid").is_none());
        assert_eq!(lookup("isnull").unwrap().signature, "isNull(value)");
    }

    #[test]
    fn closest_names() {
        assert_eq!(closest("uuid"), Some("newuuid"));
        assert_eq!(closest("lowr"), Some("lower"));
        assert_eq!(closest("timestmp"), Some("timestamp"));
        assert_eq!(closest("zzzzzzzz"), None);
    }
}
