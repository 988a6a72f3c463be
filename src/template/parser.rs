//! Template text → [`Template`]: splits literal text from `${...}` parts and parses each
//! expression (the IoT SQL expression language: fields, literals, arithmetic, comparisons,
//! `AND`/`OR`/`NOT`, `CASE`, `@variables`, `.key` and `[index]` access, calls) with byte ranges
//! into the original text, checking calls against the IoT function table so a typo is reported
//! where it was typed.
//!
//! Bounded: parentheses and calls nest at most [`MAX_DEPTH`] levels and one `${...}` holds at
//! most [`MAX_NODES`] nodes, so every recursive walk over an [`Expr`] (classification,
//! evaluation, rendering, dropping) is at most that deep; a longer expression is a located error.

use std::ops::Range;

use super::functions::{self, arity_text};
use super::{Expr, Op, Part, Template, TemplateError};

pub fn parse(text: &str) -> Result<Template, TemplateError> {
    let bytes = text.as_bytes();
    let mut parts = Vec::new();
    let mut lit_start = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'$' && bytes.get(i + 1) == Some(&b'{') {
            if lit_start < i {
                parts.push(Part::Lit {
                    text: text[lit_start..i].to_string(),
                    range: lit_start..i,
                });
            }
            let mut p = Parser {
                text,
                pos: i + 2,
                open: i,
                depth: 0,
                nodes: 0,
            };
            let expr = p.template_expr()?;
            let end = p.pos; // just past `}`
            parts.push(Part::Expr {
                expr,
                range: i..end,
            });
            i = end;
            lit_start = end;
        } else {
            i += 1;
        }
    }
    if lit_start < bytes.len() || parts.is_empty() {
        parts.push(Part::Lit {
            text: text[lit_start..].to_string(),
            range: lit_start..text.len(),
        });
    }
    Ok(Template {
        parts,
        sql_version: Default::default(),
    })
}

/// One expression on its own (a `SET` clause's right-hand side), with the same limits.
pub fn parse_expr(text: &str) -> Result<Expr, TemplateError> {
    let mut p = Parser {
        text,
        pos: 0,
        open: 0,
        depth: 0,
        nodes: 0,
    };
    let e = p.expr()?;
    match p.peek()? {
        (Tok::End, _) => Ok(e),
        (tok, r) => Err(err(
            r.clone(),
            format!("unexpected {}", describe(&tok, &text[r])),
            None,
        )),
    }
}

/// Types `cast(x AS type)` accepts (SQL 2015-10-08 and 2016-03-23 keywords).
const CAST_TYPES: &[&str] = &[
    "string", "nvarchar", "text", "ntext", "varchar", "int", "integer", "double", "decimal",
    "bool", "boolean",
];

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Num(f64),
    Punct(char),
    /// `<>`, `!=`, `<=`, `>=`.
    Op2(&'static str),
    End,
}

struct Parser<'t> {
    text: &'t str,
    pos: usize,
    /// Byte offset of the `${` being parsed.
    open: usize,
    /// Nesting of parentheses and calls, bounded so hostile input cannot overflow the stack.
    depth: usize,
    /// Nodes built for this `${...}`, bounded likewise (a chain `a+a+...` is as deep as long).
    nodes: usize,
}

pub const MAX_DEPTH: usize = 64;
/// Real keys use a handful of terms; 500 keeps every walk shallow on any thread's stack.
pub const MAX_NODES: usize = 500;

/// Keywords that end an operand; never field names.
const KEYWORDS: &[&str] = &["and", "or", "not", "case", "when", "then", "else", "end"];

fn is_kw(tok: &Tok, kw: &str) -> bool {
    matches!(tok, Tok::Ident(w) if w.eq_ignore_ascii_case(kw))
}

fn err(range: Range<usize>, message: String, help: Option<String>) -> TemplateError {
    TemplateError {
        range,
        message,
        help,
    }
}

fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

impl<'t> Parser<'t> {
    fn unclosed(&self) -> TemplateError {
        err(
            self.open..self.open + 2,
            "unclosed `${`".into(),
            Some("close it with `}`".into()),
        )
    }

    fn skip_ws(&mut self) {
        let rest = &self.text[self.pos..];
        self.pos += rest.len() - rest.trim_start().len();
    }

    /// The next token and its range, without consuming it.
    fn peek(&mut self) -> Result<(Tok, Range<usize>), TemplateError> {
        self.skip_ws();
        let start = self.pos;
        let rest = &self.text[start..];
        let Some(c) = rest.chars().next() else {
            return Ok((Tok::End, start..start));
        };
        if is_ident_start(c) {
            let len = rest.find(|c: char| !is_ident_char(c)).unwrap_or(rest.len());
            return Ok((Tok::Ident(rest[..len].to_string()), start..start + len));
        }
        if c.is_ascii_digit() {
            let len = number_len(rest);
            let value = rest[..len].parse::<f64>().map_err(|_| {
                err(
                    start..start + len,
                    format!("malformed number `{}`", &rest[..len]),
                    Some("write a number like `2` or `1.5`".into()),
                )
            })?;
            return Ok((Tok::Num(value), start..start + len));
        }
        if c == '\'' || c == '"' {
            return self.string(c, start);
        }
        for op in ["<>", "!=", "<=", ">="] {
            if rest.starts_with(op) {
                return Ok((Tok::Op2(op), start..start + 2));
            }
        }
        if "+-*/%(),.}=<>@[]".contains(c) {
            return Ok((Tok::Punct(c), start..start + 1));
        }
        let end = start + c.len_utf8();
        Err(err(
            start..end,
            format!("unexpected character `{c}`"),
            Some("remove it or put it in a quoted string like `'-'`".into()),
        ))
    }

    fn string(&self, quote: char, start: usize) -> Result<(Tok, Range<usize>), TemplateError> {
        let mut value = String::new();
        let mut chars = self.text[start + 1..].char_indices();
        while let Some((off, c)) = chars.next() {
            if c == quote {
                let end = start + 1 + off + 1;
                return Ok((Tok::Str(value), start..end));
            }
            if c == '\\' {
                // Backslash escapes the quote or another backslash; anything else stays as is.
                match chars.next() {
                    Some((_, e)) if e == quote || e == '\\' => value.push(e),
                    Some((_, e)) => {
                        value.push('\\');
                        value.push(e);
                    }
                    None => break,
                }
            } else {
                value.push(c);
            }
        }
        Err(err(
            start..start + 1,
            "unclosed string literal".into(),
            Some(format!("close it with `{quote}`")),
        ))
    }

    fn bump(&mut self, r: &Range<usize>) {
        self.pos = r.end;
    }

    /// `expr }` after `${`.
    fn template_expr(&mut self) -> Result<Expr, TemplateError> {
        let (tok, r) = self.peek()?;
        match tok {
            Tok::End => return Err(self.unclosed()),
            Tok::Punct('}') => {
                return Err(err(
                    self.open..r.end,
                    "empty substitution `${}`".into(),
                    Some("put an expression inside, e.g. `${topic()}`".into()),
                ));
            }
            _ => {}
        }
        let expr = self.expr()?;
        let (tok, r) = self.peek()?;
        match tok {
            Tok::Punct('}') => {
                self.bump(&r);
                Ok(expr)
            }
            Tok::End => Err(self.unclosed()),
            other => Err(err(
                r.clone(),
                format!(
                    "expected `}}` or an operator, found {}",
                    describe(&other, &self.text[r])
                ),
                Some("close the substitution with `}` or join values with `+`".into()),
            )),
        }
    }

    /// Counts one more node; past [`MAX_NODES`] the expression is refused where it grew.
    fn grow(&mut self, at: &Range<usize>) -> Result<(), TemplateError> {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Err(err(
                at.clone(),
                format!("expression has more than {MAX_NODES} terms"),
                Some("compute the value in the rule's SELECT and key by the result".into()),
            ));
        }
        Ok(())
    }

    fn op(&mut self, op: Op, args: Vec<Expr>, start: usize) -> Result<Expr, TemplateError> {
        let end = args.last().map_or(start, |a| expr_range(a).end);
        let range = start..end.max(start);
        // Point at the operand that went over, not the whole chain.
        let at = args.last().map_or(range.clone(), expr_range);
        self.grow(&at)?;
        Ok(Expr::Op { op, args, range })
    }

    /// `or := and (OR and)*` — the whole expression inside `${...}`, a call argument or `(...)`.
    fn expr(&mut self) -> Result<Expr, TemplateError> {
        let mut lhs = self.and()?;
        loop {
            let (tok, r) = self.peek()?;
            if !is_kw(&tok, "or") {
                return Ok(lhs);
            }
            self.bump(&r);
            let rhs = self.and()?;
            let start = expr_range(&lhs).start;
            lhs = self.op(Op::Or, vec![lhs, rhs], start)?;
        }
    }

    fn and(&mut self) -> Result<Expr, TemplateError> {
        let mut lhs = self.not()?;
        loop {
            let (tok, r) = self.peek()?;
            if !is_kw(&tok, "and") {
                return Ok(lhs);
            }
            self.bump(&r);
            let rhs = self.not()?;
            let start = expr_range(&lhs).start;
            lhs = self.op(Op::And, vec![lhs, rhs], start)?;
        }
    }

    /// `not := NOT* comparison` (a run of `NOT`s is counted, not recursed).
    fn not(&mut self) -> Result<Expr, TemplateError> {
        let mut nots = Vec::new();
        loop {
            let (tok, r) = self.peek()?;
            if !is_kw(&tok, "not") {
                break;
            }
            self.bump(&r);
            self.grow(&r)?;
            nots.push(r.start);
        }
        let mut e = self.comparison()?;
        while let Some(start) = nots.pop() {
            let range = start..expr_range(&e).end;
            e = Expr::Op {
                op: Op::Not,
                args: vec![e],
                range,
            };
        }
        Ok(e)
    }

    /// `comparison := sum (cmp sum)?`
    fn comparison(&mut self) -> Result<Expr, TemplateError> {
        let lhs = self.sum()?;
        let (tok, r) = self.peek()?;
        let op = match tok {
            Tok::Punct('=') => Op::Eq,
            Tok::Punct('<') => Op::Lt,
            Tok::Punct('>') => Op::Gt,
            Tok::Op2("<>" | "!=") => Op::Ne,
            Tok::Op2("<=") => Op::Le,
            Tok::Op2(">=") => Op::Ge,
            _ => return Ok(lhs),
        };
        self.bump(&r);
        let rhs = self.sum()?;
        let start = expr_range(&lhs).start;
        self.op(op, vec![lhs, rhs], start)
    }

    /// `sum := product (('+' | '-') product)*`
    fn sum(&mut self) -> Result<Expr, TemplateError> {
        let mut lhs = self.product()?;
        loop {
            let (tok, r) = self.peek()?;
            match tok {
                Tok::Punct('+') => {
                    self.bump(&r);
                    let rhs = self.product()?;
                    let range = expr_range(&lhs).start..expr_range(&rhs).end;
                    self.grow(&expr_range(&rhs))?;
                    lhs = Expr::Add {
                        lhs: Box::new(lhs),
                        rhs: Box::new(rhs),
                        range,
                    };
                }
                Tok::Punct('-') => {
                    self.bump(&r);
                    let rhs = self.product()?;
                    let start = expr_range(&lhs).start;
                    lhs = self.op(Op::Sub, vec![lhs, rhs], start)?;
                }
                _ => return Ok(lhs),
            }
        }
    }

    /// `product := unary (('*' | '/' | '%') unary)*`; `a % b` is documented as equivalent to
    /// `mod(a, b)`, so it is stored as that call.
    fn product(&mut self) -> Result<Expr, TemplateError> {
        let mut lhs = self.unary()?;
        loop {
            let (tok, r) = self.peek()?;
            let op = match tok {
                Tok::Punct('*') => Some(Op::Mul),
                Tok::Punct('/') => Some(Op::Div),
                Tok::Punct('%') => None,
                _ => return Ok(lhs),
            };
            self.bump(&r);
            let rhs = self.unary()?;
            let start = expr_range(&lhs).start;
            lhs = match op {
                Some(op) => self.op(op, vec![lhs, rhs], start)?,
                None => {
                    let range = start..expr_range(&rhs).end;
                    self.grow(&expr_range(&rhs))?;
                    Expr::Call {
                        name: "mod".into(),
                        args: vec![lhs, rhs],
                        range,
                    }
                }
            };
        }
    }

    /// `unary := '-'* postfix`; `-2` stays a number literal.
    fn unary(&mut self) -> Result<Expr, TemplateError> {
        let mut negs = Vec::new();
        loop {
            let (tok, r) = self.peek()?;
            if tok != Tok::Punct('-') {
                break;
            }
            self.bump(&r);
            self.grow(&r)?;
            negs.push(r.start);
        }
        let mut e = self.postfix()?;
        while let Some(start) = negs.pop() {
            e = match e {
                Expr::Num { value, range } => Expr::Num {
                    value: -value,
                    range: start..range.end,
                },
                other => {
                    let range = start..expr_range(&other).end;
                    Expr::Op {
                        op: Op::Neg,
                        args: vec![other],
                        range,
                    }
                }
            };
        }
        Ok(e)
    }

    /// `postfix := primary ('.' ident | '[' expr ']')*`. After a call, parentheses or an index,
    /// `.key` reads a key of the resulting object (IoT documents `decode(...).temperature`); it
    /// and `[i]` are stored as `get(value, key)`, which means the same.
    fn postfix(&mut self) -> Result<Expr, TemplateError> {
        let mut e = self.primary()?;
        loop {
            let (tok, r) = self.peek()?;
            let key = match tok {
                Tok::Punct('.') => {
                    self.bump(&r);
                    let (tok, kr) = self.peek()?;
                    let Tok::Ident(key) = tok else {
                        return Err(self.expected_after(".", tok, kr, "a key name"));
                    };
                    self.bump(&kr);
                    Expr::Str {
                        value: key,
                        range: kr,
                    }
                }
                Tok::Punct('[') => {
                    self.bump(&r);
                    if self.depth >= MAX_DEPTH {
                        return Err(err(
                            r,
                            format!("expression nested deeper than {MAX_DEPTH} levels"),
                            Some("simplify the expression".into()),
                        ));
                    }
                    self.depth += 1;
                    let index = self.expr();
                    self.depth -= 1;
                    let index = index?;
                    let (tok, cr) = self.peek()?;
                    if tok != Tok::Punct(']') {
                        return Err(self.expected_after("[", tok, cr, "`]`"));
                    }
                    self.bump(&cr);
                    index
                }
                _ => return Ok(e),
            };
            let range = expr_range(&e).start..self.pos;
            self.grow(&(expr_range(&key).start..self.pos))?;
            e = Expr::Call {
                name: "get".into(),
                args: vec![e, key],
                range,
            };
        }
    }

    fn expected_after(&self, after: &str, tok: Tok, r: Range<usize>, what: &str) -> TemplateError {
        if tok == Tok::End {
            return self.unclosed();
        }
        err(
            r.clone(),
            format!(
                "expected {what} after `{after}`, found {}",
                describe(&tok, &self.text[r])
            ),
            Some(format!("write {what} after `{after}`")),
        )
    }

    fn primary(&mut self) -> Result<Expr, TemplateError> {
        let (tok, r) = self.peek()?;
        if self.depth >= MAX_DEPTH {
            return Err(err(
                r,
                format!("expression nested deeper than {MAX_DEPTH} levels"),
                Some("simplify the expression".into()),
            ));
        }
        self.grow(&r)?;
        self.depth += 1;
        let e = self.primary_inner(tok, r);
        self.depth -= 1;
        e
    }

    fn primary_inner(&mut self, tok: Tok, r: Range<usize>) -> Result<Expr, TemplateError> {
        match tok {
            Tok::Num(value) => {
                self.bump(&r);
                Ok(Expr::Num { value, range: r })
            }
            Tok::Str(value) => {
                self.bump(&r);
                Ok(Expr::Str { value, range: r })
            }
            Tok::Punct('@') => {
                self.bump(&r);
                let (tok, nr) = self.peek()?;
                match tok {
                    Tok::Ident(name) if nr.start == r.end => {
                        self.bump(&nr);
                        Ok(Expr::Var {
                            name,
                            value: None,
                            range: r.start..nr.end,
                        })
                    }
                    other => Err(self.expected_after("@", other, nr, "a variable name")),
                }
            }
            Tok::Ident(ref kw) if kw.eq_ignore_ascii_case("case") => {
                self.bump(&r);
                self.case(r.start)
            }
            Tok::Ident(ref kw) if KEYWORDS.contains(&kw.to_ascii_lowercase().as_str()) => Err(err(
                r.clone(),
                format!("expected a value, found the keyword `{kw}`"),
                Some("write a field name, a quoted string, a number or a function call".into()),
            )),
            Tok::Punct('(') => {
                self.bump(&r);
                let inner = self.expr()?;
                self.expect_close_paren(r.start)?;
                Ok(inner)
            }
            Tok::Ident(name) => {
                self.bump(&r);
                let (next, nr) = self.peek()?;
                if next == Tok::Punct('(') {
                    self.bump(&nr);
                    return self.call(name, r);
                }
                let lower = name.to_ascii_lowercase();
                if lower == "true" || lower == "false" {
                    return Ok(Expr::Bool {
                        value: lower == "true",
                        range: r,
                    });
                }
                self.field(name, r)
            }
            Tok::End => Err(self.unclosed()),
            other => Err(err(
                r.clone(),
                format!(
                    "expected a value, found {}",
                    describe(&other, &self.text[r])
                ),
                Some("write a field name, a quoted string, a number or a function call".into()),
            )),
        }
    }

    fn field(&mut self, first: String, first_range: Range<usize>) -> Result<Expr, TemplateError> {
        let mut path = vec![first];
        let mut end = first_range.end;
        loop {
            let (tok, r) = self.peek()?;
            if tok != Tok::Punct('.') {
                break;
            }
            self.bump(&r);
            let (tok, kr) = self.peek()?;
            let Tok::Ident(key) = tok else {
                return Err(self.expected_after(".", tok, kr, "a key name"));
            };
            self.bump(&kr);
            path.push(key);
            end = kr.end;
        }
        Ok(Expr::Field {
            path,
            range: first_range.start..end,
        })
    }

    /// After `CASE`: `[operand] (WHEN w THEN t)+ [ELSE e] END`.
    fn case(&mut self, start: usize) -> Result<Expr, TemplateError> {
        let mut args = Vec::new();
        let (tok, _) = self.peek()?;
        let operand = !is_kw(&tok, "when");
        if operand {
            args.push(self.expr()?);
        }
        let mut arms = 0;
        let mut default = false;
        loop {
            let (tok, r) = self.peek()?;
            if is_kw(&tok, "when") {
                self.bump(&r);
                args.push(self.expr()?);
                let (tok, tr) = self.peek()?;
                if !is_kw(&tok, "then") {
                    return Err(self.expected_after("WHEN ...", tok, tr, "`THEN`"));
                }
                self.bump(&tr);
                args.push(self.expr()?);
                arms += 1;
            } else if is_kw(&tok, "else") && arms > 0 && !default {
                self.bump(&r);
                args.push(self.expr()?);
                default = true;
            } else if is_kw(&tok, "end") && arms > 0 {
                self.bump(&r);
                let range = start..r.end;
                self.grow(&range)?;
                return Ok(Expr::Op {
                    op: Op::Case { operand, default },
                    args,
                    range,
                });
            } else if tok == Tok::End {
                return Err(self.unclosed());
            } else {
                let want = if arms == 0 {
                    "`WHEN`"
                } else {
                    "`WHEN`, `ELSE` or `END`"
                };
                return Err(err(
                    r.clone(),
                    format!(
                        "expected {want} in `CASE`, found {}",
                        describe(&tok, &self.text[r])
                    ),
                    Some("write it as `CASE WHEN cond THEN value ELSE other END`".into()),
                ));
            }
        }
    }

    fn expect_close_paren(&mut self, open: usize) -> Result<usize, TemplateError> {
        let (tok, r) = self.peek()?;
        match tok {
            Tok::Punct(')') => {
                self.bump(&r);
                Ok(r.end)
            }
            Tok::End => Err(self.unclosed()),
            Tok::Punct('}') => Err(err(
                open..open + 1,
                "unclosed `(`".into(),
                Some("close it with `)`".into()),
            )),
            other => Err(err(
                r.clone(),
                format!(
                    "expected `)` or `,`, found {}",
                    describe(&other, &self.text[r])
                ),
                Some("separate arguments with `,` and close the call with `)`".into()),
            )),
        }
    }

    /// After `name(`: arguments, `)`, then the arity check.
    fn call(&mut self, name: String, name_range: Range<usize>) -> Result<Expr, TemplateError> {
        let lower = name.to_ascii_lowercase();
        let Some(spec) = functions::lookup(&lower) else {
            return Err(err(
                name_range,
                format!("unknown function `{name}()`"),
                Some(match functions::closest(&lower) {
                    Some(s) => format!("use `{s}()`"),
                    None => "use a function from the AWS IoT SQL reference".into(),
                }),
            ));
        };
        let mut args = Vec::new();
        let (tok, r) = self.peek()?;
        if tok == Tok::Punct(')') {
            self.bump(&r);
        } else {
            loop {
                args.push(self.expr()?);
                if lower == "cast" && args.len() == 1 {
                    args.push(self.cast_type()?);
                }
                let (tok, r) = self.peek()?;
                if tok == Tok::Punct(',') {
                    self.bump(&r);
                    continue;
                }
                self.expect_close_paren(name_range.end)?;
                break;
            }
        }
        let range = name_range.start..self.pos;
        let n = args.len();
        let ok = n >= spec.min_args && spec.max_args.is_none_or(|m| n <= m);
        if !ok {
            let (message, help) = if lower == "cast" {
                (
                    format!("`cast()` takes a value and a type, got {n} arguments"),
                    "write it as `cast(value AS String)`".to_string(),
                )
            } else {
                (
                    format!("`{lower}()` {}, got {n}", arity_text(spec)),
                    format!("call it as `{}`", spec.signature),
                )
            };
            return Err(err(range, message, Some(help)));
        }
        Ok(Expr::Call {
            name: lower,
            args,
            range,
        })
    }

    /// `AS type` inside `cast(...)`, returned as a string argument holding the type keyword.
    fn cast_type(&mut self) -> Result<Expr, TemplateError> {
        let (tok, r) = self.peek()?;
        match tok {
            Tok::Ident(kw) if kw.eq_ignore_ascii_case("as") => self.bump(&r),
            Tok::End => return Err(self.unclosed()),
            other => {
                return Err(err(
                    r.clone(),
                    format!(
                        "expected `AS` in `cast()`, found {}",
                        describe(&other, &self.text[r])
                    ),
                    Some("write it as `cast(value AS String)`".into()),
                ));
            }
        }
        let (tok, tr) = self.peek()?;
        match tok {
            Tok::Ident(ty) if CAST_TYPES.contains(&ty.to_ascii_lowercase().as_str()) => {
                self.bump(&tr);
                Ok(Expr::Str {
                    value: ty,
                    range: tr,
                })
            }
            Tok::End => Err(self.unclosed()),
            other => Err(err(
                tr.clone(),
                format!("unknown cast type {}", describe(&other, &self.text[tr])),
                Some("use `String`, `Int`, `Decimal`, `Double` or `Boolean`".into()),
            )),
        }
    }
}

/// `\`foo\`` for a token, as messages quote values.
fn describe(tok: &Tok, source: &str) -> String {
    match tok {
        Tok::End => "the end of the text".into(),
        _ => format!("`{source}`"),
    }
}

/// Bytes of a number at the start of `s`: digits, optional fraction, optional exponent.
fn number_len(s: &str) -> usize {
    let b = s.as_bytes();
    let digits = |mut i: usize| {
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        i
    };
    let mut i = digits(0);
    if i + 1 < b.len() && b[i] == b'.' && b[i + 1].is_ascii_digit() {
        i = digits(i + 1);
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        let mut j = i + 1;
        if j < b.len() && (b[j] == b'-' || b[j] == b'+') {
            j += 1;
        }
        if j < b.len() && b[j].is_ascii_digit() {
            i = digits(j);
        }
    }
    i
}

/// The byte range of any expression.
pub fn expr_range(e: &Expr) -> Range<usize> {
    match e {
        Expr::Field { range, .. }
        | Expr::Str { range, .. }
        | Expr::Num { range, .. }
        | Expr::Bool { range, .. }
        | Expr::Add { range, .. }
        | Expr::Call { range, .. }
        | Expr::Op { range, .. }
        | Expr::Var { range, .. } => range.clone(),
    }
}

/// Canonical IoT SQL text of an expression (`get(get(list, 0), 'vin')`), for messages.
pub fn render(e: &Expr) -> String {
    let mut s = String::new();
    render_into(e, &mut s);
    s
}

fn render_into(e: &Expr, s: &mut String) {
    match e {
        Expr::Field { path, .. } => s.push_str(&path.join(".")),
        Expr::Str { value, .. } => {
            s.push('\'');
            for c in value.chars() {
                if c == '\'' || c == '\\' {
                    s.push('\\');
                }
                s.push(c);
            }
            s.push('\'');
        }
        Expr::Num { value, .. } => s.push_str(&super::eval::format_f64_literal(*value)),
        Expr::Bool { value, .. } => s.push_str(if *value { "true" } else { "false" }),
        Expr::Add { lhs, rhs, .. } => {
            render_into(lhs, s);
            s.push_str(" + ");
            // `+` is left-associative; a right-hand sum came from parentheses and keeps them,
            // since `'a' + (1 + 2)` and `'a' + 1 + 2` differ.
            if matches!(**rhs, Expr::Add { .. }) {
                s.push('(');
                render_into(rhs, s);
                s.push(')');
            } else {
                render_into(rhs, s);
            }
        }
        Expr::Var { name, .. } => {
            s.push('@');
            s.push_str(name);
        }
        Expr::Op { op, args, .. } => render_op(*op, args, s),
        Expr::Call { name, args, .. } if name == "cast" && args.len() == 2 => {
            s.push_str("cast(");
            render_into(&args[0], s);
            s.push_str(" AS ");
            if let Expr::Str { value, .. } = &args[1] {
                s.push_str(value);
            }
            s.push(')');
        }
        Expr::Call { name, args, .. } => {
            s.push_str(name);
            s.push('(');
            for (i, a) in args.iter().enumerate() {
                if i > 0 {
                    s.push_str(", ");
                }
                // `a + b` as an argument needs no parentheses: `,` ends it.
                render_into(a, s);
            }
            s.push(')');
        }
    }
}

/// Operators render fully parenthesised below the top, so precedence never changes meaning.
fn render_op(op: Op, args: &[Expr], s: &mut String) {
    let sub = |e: &Expr, s: &mut String| {
        let wrap = matches!(e, Expr::Op { op, .. } if !matches!(op, Op::Case { .. }))
            || matches!(e, Expr::Add { .. });
        if wrap {
            s.push('(');
        }
        render_into(e, s);
        if wrap {
            s.push(')');
        }
    };
    match (op, args) {
        (Op::Not, [a]) => {
            s.push_str("NOT ");
            sub(a, s);
        }
        (Op::Neg, [a]) => {
            s.push('-');
            sub(a, s);
        }
        (Op::Case { operand, default }, args) => {
            s.push_str("CASE");
            let mut rest = args;
            if operand && let Some((o, r)) = rest.split_first() {
                s.push(' ');
                render_into(o, s);
                rest = r;
            }
            let (arms, tail) = if default && !rest.is_empty() {
                rest.split_at(rest.len() - 1)
            } else {
                (rest, &[][..])
            };
            for pair in arms.chunks(2) {
                s.push_str(" WHEN ");
                render_into(&pair[0], s);
                if let Some(t) = pair.get(1) {
                    s.push_str(" THEN ");
                    render_into(t, s);
                }
            }
            if let Some(e) = tail.first() {
                s.push_str(" ELSE ");
                render_into(e, s);
            }
            s.push_str(" END");
        }
        (op, [a, b]) => {
            sub(a, s);
            s.push(' ');
            s.push_str(op.symbol());
            s.push(' ');
            sub(b, s);
        }
        (op, _) => s.push_str(op.symbol()),
    }
}
