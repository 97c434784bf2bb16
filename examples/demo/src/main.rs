//! pgo-demo: a small scripting language (lexer, one-pass compiler to bytecode,
//! stack VM over dynamically typed values) running five scripts: recursion, a
//! sieve, a quicksort, word statistics over real text, floating point.
//!
//! Most of an interpreter handles cases a given script never meets: other
//! types, errors, rare opcodes. Without a profile the compiler cannot tell:
//! `Vm::binary`, shared by eleven operator opcodes, is too big to inline at
//! all of them, so every `+` or `<` is a call that dispatches on the operator
//! again; native functions are called through a pointer. With the profile it
//! inlines `binary` where it is hot (the operator then is a constant), turns
//! the hot native calls into direct, inlined ones, and moves cold code away.
//!
//! Usage: pgo-demo [ITERATIONS] [SEED]. Every script runs ITERATIONS times,
//! its input size varying with the iteration; SEED picks the text and the
//! numbers to sort.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::rc::Rc;
use std::time::Instant;

// ---- Values ---------------------------------------------------------------

#[derive(Clone, Debug)]
enum Value {
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Rc<str>),
    List(Rc<RefCell<Vec<Value>>>),
}

impl Value {
    fn type_name(&self) -> &'static str {
        match self {
            Value::Nil => "nil",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::Str(_) => "string",
            Value::List(_) => "list",
        }
    }

    fn truthy(&self) -> bool {
        match self {
            Value::Nil => false,
            Value::Bool(b) => *b,
            Value::Int(i) => *i != 0,
            Value::Float(f) => *f != 0.0,
            Value::Str(s) => !s.is_empty(),
            Value::List(l) => !l.borrow().is_empty(),
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Nil => write!(f, "nil"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => write!(f, "{x}"),
            Value::Str(s) => write!(f, "{s}"),
            Value::List(l) => {
                write!(f, "[")?;
                for (i, v) in l.borrow().iter().enumerate() {
                    write!(f, "{}{v}", if i > 0 { ", " } else { "" })?;
                }
                write!(f, "]")
            }
        }
    }
}

#[derive(Debug)]
struct Error {
    line: u32,
    msg: String,
}

fn err<T>(line: u32, msg: impl Into<String>) -> Result<T, Error> {
    Err(Error { line, msg: msg.into() })
}

// ---- Lexer ----------------------------------------------------------------

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Int(i64),
    Float(f64),
    Str(String),
    Ident(String),
    Fn, Let, If, Else, While, Return, True, False, Nil, And, Or, Not,
    LParen, RParen, LBrace, RBrace, LBracket, RBracket, Comma, Semi,
    Plus, Minus, Star, Slash, Percent, Assign, EqEq, NotEq, Lt, Le, Gt, Ge,
    Eof,
}

fn lex(src: &str) -> Result<Vec<(Tok, u32)>, Error> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let (mut i, mut line) = (0, 1u32);
    while i < b.len() {
        let (c, start) = (b[i], i);
        i += 1;
        let tok = match c {
            b'\n' => {
                line += 1;
                continue;
            }
            b' ' | b'\t' | b'\r' => continue,
            b'#' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'0'..=b'9' => {
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
                if i + 1 < b.len() && b[i] == b'.' && b[i + 1].is_ascii_digit() {
                    i += 1;
                    while i < b.len() && b[i].is_ascii_digit() {
                        i += 1;
                    }
                    Tok::Float(src[start..i].parse().unwrap())
                } else {
                    match src[start..i].parse() {
                        Ok(x) => Tok::Int(x),
                        Err(e) => return err(line, format!("{}: {e}", &src[start..i])),
                    }
                }
            }
            b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                }
                match &src[start..i] {
                    "fn" => Tok::Fn,
                    "let" => Tok::Let,
                    "if" => Tok::If,
                    "else" => Tok::Else,
                    "while" => Tok::While,
                    "return" => Tok::Return,
                    "true" => Tok::True,
                    "false" => Tok::False,
                    "nil" => Tok::Nil,
                    "and" => Tok::And,
                    "or" => Tok::Or,
                    "not" => Tok::Not,
                    word => Tok::Ident(word.to_string()),
                }
            }
            b'"' => {
                let mut s = String::new();
                loop {
                    match b.get(i) {
                        None | Some(b'\n') => return err(line, "unterminated string"),
                        Some(b'"') => break,
                        Some(b'\\') => {
                            s.push(match b.get(i + 1) {
                                Some(b'n') => '\n',
                                Some(b't') => '\t',
                                Some(b'"') => '"',
                                Some(b'\\') => '\\',
                                other => return err(line, format!("bad escape {other:?}")),
                            });
                            i += 2;
                        }
                        Some(_) => {
                            let ch = src[i..].chars().next().unwrap();
                            s.push(ch);
                            i += ch.len_utf8();
                        }
                    }
                }
                i += 1;
                Tok::Str(s)
            }
            b'(' => Tok::LParen,
            b')' => Tok::RParen,
            b'{' => Tok::LBrace,
            b'}' => Tok::RBrace,
            b'[' => Tok::LBracket,
            b']' => Tok::RBracket,
            b',' => Tok::Comma,
            b';' => Tok::Semi,
            b'+' => Tok::Plus,
            b'-' => Tok::Minus,
            b'*' => Tok::Star,
            b'/' => Tok::Slash,
            b'%' => Tok::Percent,
            b'=' | b'!' | b'<' | b'>' => {
                let eq = b.get(i) == Some(&b'=');
                i += eq as usize;
                match (c, eq) {
                    (b'=', false) => Tok::Assign,
                    (b'=', true) => Tok::EqEq,
                    (b'!', true) => Tok::NotEq,
                    (b'<', false) => Tok::Lt,
                    (b'<', true) => Tok::Le,
                    (b'>', false) => Tok::Gt,
                    (b'>', true) => Tok::Ge,
                    _ => return err(line, "`!` must be followed by `=` (use `not`)"),
                }
            }
            other => return err(line, format!("unexpected character {:?}", other as char)),
        };
        out.push((tok, line));
    }
    out.push((Tok::Eof, line));
    Ok(out)
}

// ---- Bytecode and the compiler (one pass over the tokens) -----------------

#[derive(Debug, Clone, Copy, PartialEq)]
enum BinOp {
    Add, Sub, Mul, Div, Mod, Eq, Ne, Lt, Le, Gt, Ge,
}

/// The right operand of a binary operator: popped, or a constant (`i + 1`, `k < 50`).
#[derive(Debug, Clone, Copy)]
enum Rhs {
    Stack,
    Const(u32),
}

/// An operator's opcode given its right operand: `Op::Add`, `Op::Lt`, ...
type OpFor = fn(Rhs) -> Op;

#[derive(Debug, Clone, Copy)]
enum Op {
    Const(u32),
    Nil,
    True,
    False,
    GetLocal(u32),
    SetLocal(u32),
    GetGlobal(u32),
    SetGlobal(u32),
    Add(Rhs),
    Sub(Rhs),
    Mul(Rhs),
    Div(Rhs),
    Mod(Rhs),
    Eq(Rhs),
    Ne(Rhs),
    Lt(Rhs),
    Le(Rhs),
    Gt(Rhs),
    Ge(Rhs),
    Neg,
    Not,
    Jump(u32),
    JumpIfFalse(u32),
    JumpIfFalseKeep(u32),
    JumpIfTrueKeep(u32),
    Pop,
    Call(u32, u32),
    CallNative(u32, u32),
    Return,
    MakeList(u32),
    Index,
    SetIndex,
}

struct Function {
    name: String,
    arity: usize,
    nlocals: usize,
    code: Vec<Op>,
    lines: Vec<u32>,
}

struct Program {
    consts: Vec<Value>,
    globals: Vec<String>,
    funcs: Vec<Function>,
    main: usize,
}

struct Compiler {
    toks: Vec<(Tok, u32)>,
    pos: usize,
    prog: Program,
    fn_index: HashMap<String, usize>,
    code: Vec<Op>,
    lines: Vec<u32>,
    /// Inside a function: its parameters and the locals in scope.
    locals: Option<Vec<String>>,
    nlocals: usize,
}

impl Compiler {
    fn peek(&self) -> &Tok {
        &self.toks[self.pos].0
    }
    fn line(&self) -> u32 {
        self.toks[self.pos].1
    }
    fn next(&mut self) -> Tok {
        let t = self.toks[self.pos].0.clone();
        if t != Tok::Eof {
            self.pos += 1;
        }
        t
    }
    fn eat(&mut self, t: &Tok) -> bool {
        let hit = self.peek() == t;
        self.pos += hit as usize;
        hit
    }
    fn expect(&mut self, t: Tok) -> Result<(), Error> {
        if self.eat(&t) {
            return Ok(());
        }
        err(self.line(), format!("expected {t:?}, found {:?}", self.peek()))
    }
    fn ident(&mut self) -> Result<String, Error> {
        match self.next() {
            Tok::Ident(s) => Ok(s),
            t => err(self.line(), format!("expected a name, found {t:?}")),
        }
    }
    /// Parses `item (, item)* close`, the opening token already eaten.
    fn list_of(&mut self, close: Tok, mut item: impl FnMut(&mut Self) -> Result<(), Error>) -> Result<u32, Error> {
        let mut n = 0;
        if self.eat(&close) {
            return Ok(0);
        }
        loop {
            item(self)?;
            n += 1;
            if self.eat(&close) {
                return Ok(n);
            }
            self.expect(Tok::Comma)?;
        }
    }

    fn emit(&mut self, op: Op, line: u32) -> usize {
        self.code.push(op);
        self.lines.push(line);
        self.code.len() - 1
    }
    fn patch(&mut self, at: usize) {
        let to = self.code.len() as u32;
        match &mut self.code[at] {
            Op::Jump(t) | Op::JumpIfFalse(t) | Op::JumpIfFalseKeep(t) | Op::JumpIfTrueKeep(t) => *t = to,
            op => unreachable!("patching {op:?}"),
        }
    }
    fn constant(&mut self, v: Value) -> u32 {
        self.prog.consts.push(v);
        (self.prog.consts.len() - 1) as u32
    }

    fn variable(&mut self, name: &str, set: bool, line: u32) -> Result<(), Error> {
        let local = self.locals.as_ref().and_then(|l| l.iter().rposition(|n| n == name));
        let op = match (local, self.prog.globals.iter().position(|g| g == name)) {
            (Some(i), _) if set => Op::SetLocal(i as u32),
            (Some(i), _) => Op::GetLocal(i as u32),
            (None, Some(i)) if set => Op::SetGlobal(i as u32),
            (None, Some(i)) => Op::GetGlobal(i as u32),
            (None, None) => return err(line, format!("undefined variable {name}")),
        };
        self.emit(op, line);
        Ok(())
    }

    fn block(&mut self) -> Result<(), Error> {
        self.expect(Tok::LBrace)?;
        let scope = self.locals.as_ref().map(Vec::len);
        while !self.eat(&Tok::RBrace) {
            if *self.peek() == Tok::Eof {
                return err(self.line(), "unterminated block");
            }
            self.statement()?;
        }
        if let (Some(n), Some(l)) = (scope, self.locals.as_mut()) {
            l.truncate(n);
        }
        Ok(())
    }

    fn statement(&mut self) -> Result<(), Error> {
        let line = self.line();
        match self.next() {
            Tok::Let => {
                let name = self.ident()?;
                self.expect(Tok::Assign)?;
                self.expression()?;
                self.expect(Tok::Semi)?;
                match self.locals.as_mut() {
                    Some(l) => {
                        l.push(name);
                        let slot = l.len() - 1;
                        self.nlocals = self.nlocals.max(slot + 1);
                        self.emit(Op::SetLocal(slot as u32), line);
                    }
                    None => {
                        if !self.prog.globals.contains(&name) {
                            self.prog.globals.push(name.clone());
                        }
                        self.variable(&name, true, line)?
                    }
                }
            }
            Tok::If => {
                self.expression()?;
                let skip_then = self.emit(Op::JumpIfFalse(0), line);
                self.block()?;
                if self.eat(&Tok::Else) {
                    let skip_else = self.emit(Op::Jump(0), line);
                    self.patch(skip_then);
                    if *self.peek() == Tok::If {
                        self.statement()?;
                    } else {
                        self.block()?;
                    }
                    self.patch(skip_else);
                } else {
                    self.patch(skip_then);
                }
            }
            Tok::While => {
                let top = self.code.len() as u32;
                self.expression()?;
                let exit = self.emit(Op::JumpIfFalse(0), line);
                self.block()?;
                self.emit(Op::Jump(top), line);
                self.patch(exit);
            }
            Tok::Return => {
                if *self.peek() == Tok::Semi {
                    self.emit(Op::Nil, line);
                } else {
                    self.expression()?;
                }
                self.expect(Tok::Semi)?;
                self.emit(Op::Return, line);
            }
            Tok::Fn if self.locals.is_none() => self.function()?,
            Tok::Fn => return err(line, "functions are declared at the top level only"),
            Tok::Ident(name) if *self.peek() == Tok::Assign => {
                self.pos += 1;
                self.expression()?;
                self.expect(Tok::Semi)?;
                self.variable(&name, true, line)?;
            }
            _ => {
                self.pos -= 1;
                self.expression()?;
                if self.eat(&Tok::Assign) {
                    // `target[index] = value`: the target and index are on the stack.
                    match self.code.last() {
                        Some(Op::Index) => drop(self.code.pop()),
                        _ => return err(line, "cannot assign to this expression"),
                    }
                    self.lines.pop();
                    self.expression()?;
                    self.emit(Op::SetIndex, line);
                } else {
                    self.emit(Op::Pop, line);
                }
                self.expect(Tok::Semi)?;
            }
        }
        Ok(())
    }

    /// `fn name(params) { body }`, the `fn` already eaten: compiled into its own Function.
    fn function(&mut self) -> Result<(), Error> {
        let name = self.ident()?;
        self.expect(Tok::LParen)?;
        let mut params = Vec::new();
        self.list_of(Tok::RParen, |c| {
            params.push(c.ident()?);
            Ok(())
        })?;
        let outer_code = std::mem::take(&mut self.code);
        let outer_lines = std::mem::take(&mut self.lines);
        self.nlocals = params.len();
        self.locals = Some(params);
        self.block()?;
        let line = self.line();
        self.emit(Op::Nil, line);
        self.emit(Op::Return, line);
        let f = self.fn_index[&name];
        let arity = self.prog.funcs[f].arity;
        let code = std::mem::replace(&mut self.code, outer_code);
        let lines = std::mem::replace(&mut self.lines, outer_lines);
        self.prog.funcs[f] = Function { name, arity, nlocals: self.nlocals, code, lines };
        self.locals = None;
        Ok(())
    }

    fn expression(&mut self) -> Result<(), Error> {
        self.and()?;
        while *self.peek() == Tok::Or {
            let jump = self.emit(Op::JumpIfTrueKeep(0), self.line());
            self.pos += 1;
            self.emit(Op::Pop, self.line());
            self.and()?;
            self.patch(jump);
        }
        Ok(())
    }

    fn and(&mut self) -> Result<(), Error> {
        self.comparison()?;
        while *self.peek() == Tok::And {
            let jump = self.emit(Op::JumpIfFalseKeep(0), self.line());
            self.pos += 1;
            self.emit(Op::Pop, self.line());
            self.comparison()?;
            self.patch(jump);
        }
        Ok(())
    }

    fn binary(&mut self, ops: &[(Tok, OpFor)], operand: fn(&mut Self) -> Result<(), Error>) -> Result<(), Error> {
        operand(self)?;
        while let Some(&(_, op)) = ops.iter().find(|(t, _)| t == self.peek()) {
            let line = self.line();
            self.pos += 1;
            let start = self.code.len();
            operand(self)?;
            // A constant right operand is folded into the operator.
            match self.code[start..] {
                [Op::Const(k)] if matches!(self.prog.consts[k as usize], Value::Int(_) | Value::Float(_)) => {
                    self.code[start] = op(Rhs::Const(k));
                    self.lines[start] = line;
                }
                _ => drop(self.emit(op(Rhs::Stack), line)),
            }
        }
        Ok(())
    }

    fn comparison(&mut self) -> Result<(), Error> {
        let ops: [(Tok, OpFor); 6] =
            [(Tok::EqEq, Op::Eq), (Tok::NotEq, Op::Ne), (Tok::Lt, Op::Lt), (Tok::Le, Op::Le), (Tok::Gt, Op::Gt), (Tok::Ge, Op::Ge)];
        self.binary(&ops, Self::sum)
    }

    fn sum(&mut self) -> Result<(), Error> {
        self.binary(&[(Tok::Plus, Op::Add), (Tok::Minus, Op::Sub)], Self::product)
    }

    fn product(&mut self) -> Result<(), Error> {
        let ops: [(Tok, OpFor); 3] = [(Tok::Star, Op::Mul), (Tok::Slash, Op::Div), (Tok::Percent, Op::Mod)];
        self.binary(&ops, Self::unary)
    }

    fn unary(&mut self) -> Result<(), Error> {
        let line = self.line();
        if self.eat(&Tok::Minus) {
            self.unary()?;
            self.emit(Op::Neg, line);
        } else if self.eat(&Tok::Not) {
            self.unary()?;
            self.emit(Op::Not, line);
        } else {
            self.postfix()?;
        }
        Ok(())
    }

    fn postfix(&mut self) -> Result<(), Error> {
        let line = self.line();
        match self.next() {
            Tok::Int(i) => drop(self.emit_constant(Value::Int(i), line)),
            Tok::Float(x) => drop(self.emit_constant(Value::Float(x), line)),
            Tok::Str(s) => drop(self.emit_constant(Value::Str(s.into()), line)),
            Tok::True => drop(self.emit(Op::True, line)),
            Tok::False => drop(self.emit(Op::False, line)),
            Tok::Nil => drop(self.emit(Op::Nil, line)),
            Tok::Ident(name) if self.eat(&Tok::LParen) => self.call(&name, line)?,
            Tok::Ident(name) => self.variable(&name, false, line)?,
            Tok::LParen => {
                self.expression()?;
                self.expect(Tok::RParen)?;
            }
            Tok::LBracket => {
                let n = self.list_of(Tok::RBracket, Self::expression)?;
                self.emit(Op::MakeList(n), line);
            }
            t => return err(line, format!("unexpected {t:?}")),
        }
        while self.eat(&Tok::LBracket) {
            self.expression()?;
            self.expect(Tok::RBracket)?;
            self.emit(Op::Index, line);
        }
        Ok(())
    }

    fn emit_constant(&mut self, v: Value, line: u32) -> usize {
        let k = self.constant(v);
        self.emit(Op::Const(k), line)
    }

    fn call(&mut self, name: &str, line: u32) -> Result<(), Error> {
        let argc = self.list_of(Tok::RParen, Self::expression)?;
        let (op, want) = if let Some(&f) = self.fn_index.get(name) {
            (Op::Call(f as u32, argc), self.prog.funcs[f].arity)
        } else {
            match NATIVES.iter().position(|(n, _, _)| *n == name) {
                Some(i) => (Op::CallNative(i as u32, argc), NATIVES[i].1),
                None => return err(line, format!("undefined function {name}")),
            }
        };
        if want != argc as usize {
            return err(line, format!("{name} takes {want} argument(s), got {argc}"));
        }
        self.emit(op, line);
        Ok(())
    }
}

fn compile(src: &str, host_globals: &[&str]) -> Result<Program, Error> {
    let toks = lex(src)?;
    let mut prog = Program {
        consts: Vec::new(),
        globals: host_globals.iter().map(|s| s.to_string()).collect(),
        funcs: Vec::new(),
        main: 0,
    };
    // Top-level functions and globals first, so that code may use them before
    // their definition.
    let mut fn_index = HashMap::new();
    let mut depth = 0;
    for (i, (t, line)) in toks.iter().enumerate() {
        match (t, &toks.get(i + 1).map(|t| &t.0)) {
            (Tok::LBrace, _) => depth += 1,
            (Tok::RBrace, _) => depth -= 1,
            (Tok::Let, Some(Tok::Ident(name))) if depth == 0 && !prog.globals.contains(name) => {
                prog.globals.push(name.clone())
            }
            (Tok::Fn, Some(Tok::Ident(name))) if depth == 0 => {
                if fn_index.insert(name.clone(), prog.funcs.len()).is_some() {
                    return err(*line, format!("function {name} defined twice"));
                }
                let arity = toks[i + 2..]
                    .iter()
                    .take_while(|(t, _)| *t != Tok::RParen)
                    .filter(|(t, _)| matches!(t, Tok::Ident(_)))
                    .count();
                let f = Function { name: name.clone(), arity, nlocals: 0, code: vec![], lines: vec![] };
                prog.funcs.push(f);
            }
            _ => {}
        }
    }
    let mut c = Compiler { toks, pos: 0, prog, fn_index, code: vec![], lines: vec![], locals: None, nlocals: 0 };
    while *c.peek() != Tok::Eof {
        c.statement()?;
    }
    let line = c.line();
    c.emit(Op::Nil, line);
    c.emit(Op::Return, line);
    let main = Function { name: "<main>".into(), arity: 0, nlocals: 0, code: c.code, lines: c.lines };
    c.prog.main = c.prog.funcs.len();
    c.prog.funcs.push(main);
    Ok(c.prog)
}

// ---- Native functions -----------------------------------------------------

type Native = fn(&[Value], &mut Vec<String>) -> Result<Value, String>;

/// The functions scripts call by name, with their arity, called through a pointer.
const NATIVES: &[(&str, usize, Native)] = &[
    ("len", 1, native_len),
    ("push", 2, native_push),
    ("str", 1, |args, _| Ok(Value::Str(args[0].to_string().into()))),
    ("ord", 2, native_ord),
    ("chr", 1, native_chr),
    ("substr", 3, native_substr),
    ("print", 1, |args, out| {
        out.push(args[0].to_string());
        Ok(Value::Nil)
    }),
];

fn wrong_args(name: &str, args: &[Value]) -> String {
    let types: Vec<_> = args.iter().map(Value::type_name).collect();
    format!("{name} does not take ({})", types.join(", "))
}

fn native_len(args: &[Value], _: &mut Vec<String>) -> Result<Value, String> {
    match args {
        [Value::Str(s)] => Ok(Value::Int(s.len() as i64)),
        [Value::List(l)] => Ok(Value::Int(l.borrow().len() as i64)),
        _ => Err(wrong_args("len", args)),
    }
}

fn native_push(args: &[Value], _: &mut Vec<String>) -> Result<Value, String> {
    match args {
        [Value::List(l), v] => {
            l.borrow_mut().push(v.clone());
            Ok(Value::Nil)
        }
        _ => Err(wrong_args("push", args)),
    }
}

fn native_ord(args: &[Value], _: &mut Vec<String>) -> Result<Value, String> {
    match args {
        [Value::Str(s), i] => Ok(Value::Int(s.as_bytes()[index_of(i, s.len())?] as i64)),
        _ => Err(wrong_args("ord", args)),
    }
}

fn native_chr(args: &[Value], _: &mut Vec<String>) -> Result<Value, String> {
    match args {
        [Value::Int(c)] => match u8::try_from(*c) {
            Ok(c) if c.is_ascii() => Ok(Value::Str((c as char).to_string().into())),
            _ => Err(format!("chr({c}): not an ASCII code")),
        },
        _ => Err(wrong_args("chr", args)),
    }
}

fn native_substr(args: &[Value], _: &mut Vec<String>) -> Result<Value, String> {
    match args {
        [Value::Str(s), Value::Int(from), Value::Int(n)] => {
            let range = usize::try_from(*from).ok().zip(usize::try_from(*n).ok()).map(|(f, n)| f..f + n);
            match range.and_then(|r| s.get(r)) {
                Some(sub) => Ok(Value::Str(sub.into())),
                None => Err(format!("substr({from}, {n}) out of range (or splits a character)")),
            }
        }
        _ => Err(wrong_args("substr", args)),
    }
}

// ---- Virtual machine ------------------------------------------------------

fn arith(op: BinOp, a: &Value, b: &Value) -> Result<Value, String> {
    use Value::*;
    Ok(match (a, b) {
        (Int(x), Int(y)) => {
            let r = match op {
                BinOp::Add => x.checked_add(*y),
                BinOp::Sub => x.checked_sub(*y),
                BinOp::Mul => x.checked_mul(*y),
                BinOp::Div if *y == 0 => return Err("division by zero".into()),
                BinOp::Div => x.checked_div(*y),
                BinOp::Mod if *y == 0 => return Err("modulo by zero".into()),
                BinOp::Mod => x.checked_rem_euclid(*y),
                _ => unreachable!(),
            };
            Int(r.ok_or_else(|| format!("integer overflow in {x} {op:?} {y}"))?)
        }
        (Int(_) | Float(_), Int(_) | Float(_)) => {
            let num = |v: &Value| if let Int(i) = v { *i as f64 } else if let Float(f) = v { *f } else { 0.0 };
            let (x, y) = (num(a), num(b));
            Float(match op {
                BinOp::Add => x + y,
                BinOp::Sub => x - y,
                BinOp::Mul => x * y,
                BinOp::Div => x / y,
                BinOp::Mod => x.rem_euclid(y),
                _ => unreachable!(),
            })
        }
        (Str(x), _) if op == BinOp::Add => {
            let mut s = String::with_capacity(x.len() + 8);
            s.push_str(x);
            match b {
                Str(y) => s.push_str(y),
                other => s.push_str(&other.to_string()),
            }
            Str(s.into())
        }
        (List(x), List(y)) if op == BinOp::Add => {
            let mut v = x.borrow().clone();
            v.extend(y.borrow().iter().cloned());
            List(Rc::new(RefCell::new(v)))
        }
        (Str(x), Int(n)) if op == BinOp::Mul => match usize::try_from(*n) {
            Ok(n) if n <= 1 << 20 => Str(x.repeat(n).into()),
            _ => return Err(format!("cannot repeat a string {n} times")),
        },
        _ => return Err(format!("cannot apply {op:?} to {} and {}", a.type_name(), b.type_name())),
    })
}

fn equal(a: &Value, b: &Value) -> bool {
    use Value::*;
    match (a, b) {
        (Nil, Nil) => true,
        (Bool(x), Bool(y)) => x == y,
        (Int(x), Int(y)) => x == y,
        (Float(x), Float(y)) => x == y,
        (Int(x), Float(y)) | (Float(y), Int(x)) => *x as f64 == *y,
        (Str(x), Str(y)) => x == y,
        (List(x), List(y)) => {
            let (x, y) = (x.borrow(), y.borrow());
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(a, b)| equal(a, b))
        }
        _ => false,
    }
}

fn compare(op: BinOp, a: &Value, b: &Value) -> Result<bool, String> {
    use std::cmp::Ordering;
    use Value::*;
    let ord = match (a, b) {
        (Int(x), Int(y)) => x.cmp(y),
        (Int(_) | Float(_), Int(_) | Float(_)) => {
            let num = |v: &Value| if let Int(i) = v { *i as f64 } else if let Float(f) = v { *f } else { 0.0 };
            match num(a).partial_cmp(&num(b)) {
                Some(o) => o,
                None => return Ok(false), // NaN
            }
        }
        (Str(x), Str(y)) => x.cmp(y),
        _ => return Err(format!("cannot compare {} and {}", a.type_name(), b.type_name())),
    };
    Ok(match op {
        BinOp::Lt => ord == Ordering::Less,
        BinOp::Le => ord != Ordering::Greater,
        BinOp::Gt => ord == Ordering::Greater,
        BinOp::Ge => ord != Ordering::Less,
        _ => unreachable!(),
    })
}

fn index_of(i: &Value, len: usize) -> Result<usize, String> {
    match i {
        Value::Int(n) if *n >= 0 && (*n as usize) < len => Ok(*n as usize),
        Value::Int(n) => Err(format!("index {n} out of range for length {len}")),
        other => Err(format!("index must be an int, not {}", other.type_name())),
    }
}

struct Frame {
    func: usize,
    pc: usize,
    base: usize,
}

struct Vm<'p> {
    prog: &'p Program,
    globals: Vec<Value>,
    stack: Vec<Value>,
    frames: Vec<Frame>,
    output: Vec<String>,
}

const MAX_FRAMES: usize = 10_000;

/// The value of a `Result`, or the end of the dispatch loop with its error.
macro_rules! check {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(e) => break Err(e),
        }
    };
}

impl<'p> Vm<'p> {
    fn new(prog: &'p Program) -> Self {
        let globals = vec![Value::Nil; prog.globals.len()];
        Vm { prog, globals, stack: Vec::with_capacity(256), frames: Vec::new(), output: Vec::new() }
    }

    fn pop(&mut self) -> Value {
        self.stack.pop().expect("stack underflow")
    }

    fn binary(&mut self, op: BinOp, rhs: Rhs) -> Result<(), String> {
        let b = match rhs {
            Rhs::Stack => self.pop(),
            Rhs::Const(k) => self.prog.consts[k as usize].clone(),
        };
        let a = self.pop();
        let v = match op {
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Mod => arith(op, &a, &b)?,
            BinOp::Eq => Value::Bool(equal(&a, &b)),
            BinOp::Ne => Value::Bool(!equal(&a, &b)),
            _ => Value::Bool(compare(op, &a, &b)?),
        };
        self.stack.push(v);
        Ok(())
    }

    fn run(&mut self) -> Result<Value, Error> {
        self.execute(self.prog.main).map_err(|msg| {
            let at = self.frames.last().unwrap();
            let f = &self.prog.funcs[at.func];
            Error { line: f.lines[at.pc - 1], msg: format!("{msg} (in {})", f.name) }
        })
    }

    fn execute(&mut self, entry: usize) -> Result<Value, String> {
        let prog = self.prog;
        // The running function's code, program counter and stack base live in
        // locals; calls save them in `frames`.
        let (mut func, mut pc, mut base) = (entry, 0, self.stack.len());
        let mut code = &prog.funcs[func].code[..];
        let result = loop {
            let op = code[pc];
            pc += 1;
            match op {
                Op::Const(i) => self.stack.push(prog.consts[i as usize].clone()),
                Op::Nil => self.stack.push(Value::Nil),
                Op::True => self.stack.push(Value::Bool(true)),
                Op::False => self.stack.push(Value::Bool(false)),
                Op::GetLocal(i) => {
                    let v = self.stack[base + i as usize].clone();
                    self.stack.push(v);
                }
                Op::SetLocal(i) => {
                    let v = self.pop();
                    self.stack[base + i as usize] = v;
                }
                Op::GetGlobal(i) => self.stack.push(self.globals[i as usize].clone()),
                Op::SetGlobal(i) => self.globals[i as usize] = self.pop(),
                Op::Add(rhs) => check!(self.binary(BinOp::Add, rhs)),
                Op::Sub(rhs) => check!(self.binary(BinOp::Sub, rhs)),
                Op::Mul(rhs) => check!(self.binary(BinOp::Mul, rhs)),
                Op::Div(rhs) => check!(self.binary(BinOp::Div, rhs)),
                Op::Mod(rhs) => check!(self.binary(BinOp::Mod, rhs)),
                Op::Eq(rhs) => check!(self.binary(BinOp::Eq, rhs)),
                Op::Ne(rhs) => check!(self.binary(BinOp::Ne, rhs)),
                Op::Lt(rhs) => check!(self.binary(BinOp::Lt, rhs)),
                Op::Le(rhs) => check!(self.binary(BinOp::Le, rhs)),
                Op::Gt(rhs) => check!(self.binary(BinOp::Gt, rhs)),
                Op::Ge(rhs) => check!(self.binary(BinOp::Ge, rhs)),
                Op::Neg => {
                    let v = match self.pop() {
                        Value::Int(i) if i != i64::MIN => Value::Int(-i),
                        Value::Float(f) => Value::Float(-f),
                        v => break Err(format!("cannot negate {}", v.type_name())),
                    };
                    self.stack.push(v);
                }
                Op::Not => {
                    let v = self.pop();
                    self.stack.push(Value::Bool(!v.truthy()));
                }
                Op::Jump(t) => pc = t as usize,
                Op::JumpIfFalse(t) => {
                    if !self.pop().truthy() {
                        pc = t as usize;
                    }
                }
                Op::JumpIfFalseKeep(t) => {
                    if !self.stack.last().unwrap().truthy() {
                        pc = t as usize;
                    }
                }
                Op::JumpIfTrueKeep(t) => {
                    if self.stack.last().unwrap().truthy() {
                        pc = t as usize;
                    }
                }
                Op::Pop => drop(self.pop()),
                Op::Call(f, argc) => {
                    if self.frames.len() >= MAX_FRAMES {
                        break Err("stack overflow (recursion too deep)".into());
                    }
                    self.frames.push(Frame { func, pc, base });
                    (func, pc, base) = (f as usize, 0, self.stack.len() - argc as usize);
                    code = &prog.funcs[func].code;
                    self.stack.resize(base + prog.funcs[func].nlocals, Value::Nil);
                }
                Op::CallNative(f, argc) => {
                    let args = self.stack.len() - argc as usize;
                    let v = check!((NATIVES[f as usize].2)(&self.stack[args..], &mut self.output));
                    self.stack.truncate(args);
                    self.stack.push(v);
                }
                Op::Return => {
                    let v = self.pop();
                    self.stack.truncate(base);
                    match self.frames.pop() {
                        Some(caller) => {
                            (func, pc, base) = (caller.func, caller.pc, caller.base);
                            code = &prog.funcs[func].code;
                            self.stack.push(v);
                        }
                        None => break Ok(v),
                    }
                }
                Op::MakeList(n) => {
                    let items = self.stack.split_off(self.stack.len() - n as usize);
                    self.stack.push(Value::List(Rc::new(RefCell::new(items))));
                }
                Op::Index => {
                    let i = self.pop();
                    let v = match self.pop() {
                        Value::List(l) => {
                            let l = l.borrow();
                            l[check!(index_of(&i, l.len()))].clone()
                        }
                        Value::Str(s) => match s.get(check!(index_of(&i, s.len()))..).and_then(|t| t.get(..1)) {
                            Some(c) => Value::Str(c.into()),
                            None => break Err(format!("index {i} splits a character")),
                        },
                        other => break Err(format!("cannot index {}", other.type_name())),
                    };
                    self.stack.push(v);
                }
                Op::SetIndex => {
                    let v = self.pop();
                    let i = self.pop();
                    match self.pop() {
                        Value::List(l) => {
                            let mut l = l.borrow_mut();
                            let at = check!(index_of(&i, l.len()));
                            l[at] = v;
                        }
                        other => break Err(format!("cannot assign into {}", other.type_name())),
                    }
                }
            }
        };
        // An error names the innermost function and the instruction that failed.
        self.frames.push(Frame { func, pc, base });
        result
    }
}

// ---- The scripts ----------------------------------------------------------

/// Two openings of public-domain novels; the seed picks one.
const TEXTS: [&str; 2] = [
    "Call me Ishmael. Some years ago\u{2014}never mind how long precisely\u{2014}having little or no money in my purse, and nothing particular to interest me on shore, I thought I would sail about a little and see the watery part of the world. It is a way I have of driving off the spleen and regulating the circulation.",
    "It was the best of times, it was the worst of times, it was the age of wisdom, it was the age of foolishness, it was the epoch of belief, it was the epoch of incredulity, it was the season of Light, it was the season of Darkness, it was the spring of hope, it was the winter of despair, we had everything before us, we had nothing before us, we were all going direct to Heaven, we were all going direct the other way.",
];

const SCRIPTS: &[(&str, &str)] = &[
    ("fib", r#"
fn fib(k) {
    if k < 2 { return k; }
    return fib(k - 1) + fib(k - 2);
}
print(fib(16 + n % 4));
"#),
    ("sieve", r#"
let limit = 3000 + n * 37 % 500;
let flags = [];
let i = 0;
while i <= limit { push(flags, true); i = i + 1; }
let count = 0;
let p = 2;
while p <= limit {
    if flags[p] {
        count = count + 1;
        let m = p * p;
        while m <= limit { flags[m] = false; m = m + p; }
    }
    p = p + 1;
}
print(count);
"#),
    ("sort", r#"
fn quicksort(xs, lo, hi) {
    while lo < hi {
        let pivot = xs[(lo + hi) / 2];
        let i = lo;
        let j = hi;
        while i <= j {
            while xs[i] < pivot { i = i + 1; }
            while xs[j] > pivot { j = j - 1; }
            if i <= j {
                let t = xs[i]; xs[i] = xs[j]; xs[j] = t;
                i = i + 1; j = j - 1;
            }
        }
        if j - lo < hi - i { quicksort(xs, lo, j); lo = i; } else { quicksort(xs, i, hi); hi = j; }
    }
}
let xs = [];
let state = seed * 7919 + n;
while len(xs) < 600 {
    state = (state * 1103515245 + 12345) % 2147483648;
    push(xs, state % 100000);
}
quicksort(xs, 0, len(xs) - 1);
let sorted = true;
let k = 1;
while k < len(xs) { if xs[k - 1] > xs[k] { sorted = false; } k = k + 1; }
print(str(sorted) + " " + str(xs[0]) + ".." + str(xs[len(xs) - 1]));
"#),
    ("words", r#"
fn is_letter(c) { return (c >= 97 and c <= 122) or (c >= 65 and c <= 90); }
fn lower(w) {
    let out = "";
    let i = 0;
    while i < len(w) {
        let c = ord(w, i);
        if c >= 65 and c <= 90 { out = out + chr(c + 32); } else { out = out + w[i]; }
        i = i + 1;
    }
    return out;
}
let rounds = 2 + n % 2;
let longest = "";
let words = 0;
let vowels = 0;
while rounds > 0 {
    let i = 0;
    let start = -1;
    while i <= len(text) {
        let c = 0;
        if i < len(text) { c = ord(text, i); }
        if is_letter(c) {
            if start < 0 { start = i; }
            if c == 97 or c == 101 or c == 105 or c == 111 or c == 117 { vowels = vowels + 1; }
        } else if start >= 0 {
            let w = lower(substr(text, start, i - start));
            words = words + 1;
            if len(w) > len(longest) or (len(w) == len(longest) and w < longest) { longest = w; }
            start = -1;
        }
        i = i + 1;
    }
    rounds = rounds - 1;
}
print(longest + " " + str(words) + " " + str(vowels));
"#),
    ("mandel", r#"
let size = 24 + n % 3;
let inside = 0;
let y = 0;
while y < size {
    let x = 0;
    while x < size {
        let cr = 2.5 * x / size - 2.0;
        let ci = 2.0 * y / size - 1.0;
        let zr = 0.0;
        let zi = 0.0;
        let k = 0;
        while k < 50 and zr * zr + zi * zi < 4.0 {
            let t = zr * zr - zi * zi + cr;
            zi = 2.0 * zr * zi + ci;
            zr = t;
            k = k + 1;
        }
        if k == 50 { inside = inside + 1; }
        x = x + 1;
    }
    y = y + 1;
}
print(inside);
"#),
];

fn main() {
    let mut args = std::env::args().skip(1);
    let iters: i64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(20);
    let seed: i64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(1);
    let text: Value = Value::Str(TEXTS[seed.rem_euclid(2) as usize].into());
    let start = Instant::now();
    let mut checksum = 0u64;
    let mut last = Vec::new();
    for n in 0..iters {
        for (name, src) in SCRIPTS {
            let fail = |e: Error| -> ! {
                eprintln!("pgo-demo: {name}, line {}: {}", e.line, e.msg);
                std::process::exit(1)
            };
            let prog = compile(src, &["n", "seed", "text"]).unwrap_or_else(|e| fail(e));
            let mut vm = Vm::new(&prog);
            vm.globals[..3].clone_from_slice(&[Value::Int(n), Value::Int(seed), text.clone()]);
            vm.run().unwrap_or_else(|e| fail(e));
            for b in vm.output.iter().flat_map(|l| l.bytes()) {
                checksum = checksum.wrapping_mul(31).wrapping_add(b as u64);
            }
            if n == iters - 1 {
                last.push(format!("{name}: {}", vm.output.join(" ")));
            }
        }
    }
    eprintln!("pgo-demo: {iters} iterations in {:.3}s", start.elapsed().as_secs_f64());
    println!("{}", last.join("; "));
    println!("checksum {checksum:016x}");
}
