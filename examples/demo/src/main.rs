//! pgo-demo: an arithmetic-expression tokenizer, parser and evaluator.
//! Its hot paths (which token kinds, which operators, how deep the nesting)
//! depend on the input, which is exactly what profile-guided optimisation
//! learns: block layout, inlining and branch weights.
//!
//! Usage: pgo-demo [ITERATIONS]

use std::time::Instant;


#[derive(Debug, Clone, Copy, PartialEq)]
enum Tok {
    Num(i64),
    Plus,
    Minus,
    Star,
    Slash,
    LParen,
    RParen,
}

fn tokenize(src: &str) -> Vec<Tok> {
    let bytes = src.as_bytes();
    let mut out = Vec::with_capacity(bytes.len() / 2);
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b'0'..=b'9' => {
                let mut v = 0i64;
                while i < bytes.len() && bytes[i].is_ascii_digit() {
                    v = v.wrapping_mul(10).wrapping_add((bytes[i] - b'0') as i64);
                    i += 1;
                }
                out.push(Tok::Num(v));
                continue;
            }
            b'+' => out.push(Tok::Plus),
            b'-' => out.push(Tok::Minus),
            b'*' => out.push(Tok::Star),
            b'/' => out.push(Tok::Slash),
            b'(' => out.push(Tok::LParen),
            b')' => out.push(Tok::RParen),
            _ => {}
        }
        i += 1;
    }
    out
}

struct Parser<'a> {
    toks: &'a [Tok],
    pos: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<Tok> {
        self.toks.get(self.pos).copied()
    }
    fn expr(&mut self) -> i64 {
        let mut v = self.term();
        while let Some(t) = self.peek() {
            match t {
                Tok::Plus => { self.pos += 1; v = v.wrapping_add(self.term()); }
                Tok::Minus => { self.pos += 1; v = v.wrapping_sub(self.term()); }
                _ => break,
            }
        }
        v
    }
    fn term(&mut self) -> i64 {
        let mut v = self.atom();
        while let Some(t) = self.peek() {
            match t {
                Tok::Star => { self.pos += 1; v = v.wrapping_mul(self.atom()); }
                Tok::Slash => {
                    self.pos += 1;
                    let d = self.atom();
                    v = if d == 0 { 0 } else { v.wrapping_div(d) };
                }
                _ => break,
            }
        }
        v
    }
    fn atom(&mut self) -> i64 {
        match self.peek() {
            Some(Tok::Num(n)) => { self.pos += 1; n }
            Some(Tok::LParen) => {
                self.pos += 1;
                let v = self.expr();
                if self.peek() == Some(Tok::RParen) { self.pos += 1; }
                v
            }
            Some(Tok::Minus) => { self.pos += 1; self.atom().wrapping_neg() }
            _ => { self.pos += 1; 0 }
        }
    }
}

fn eval(src: &str) -> i64 {
    let toks = tokenize(src);
    Parser { toks: &toks, pos: 0 }.expr()
}

/// A deterministic mix of expressions, as a calculator or config evaluator sees them.
fn workload() -> Vec<String> {
    let mut seed = 0x2545_f491u32;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        seed
    };
    (0..256)
        .map(|i| {
            let (a, b, c) = (next() % 997, next() % 13 + 1, next() % 50);
            match i % 4 {
                0 => format!("({a} + {i}) * {b} - ({b} * 3) / 2"),
                1 => format!("{a} * ({b} + {c}) - -{c} / {b}"),
                2 => format!("(({a} - {c}) * ({b} + 1)) / ({b} + {c} + 1)"),
                _ => format!("{a} + {b} + {c} + {i} * 2 - {a} / {b}"),
            }
        })
        .collect()
}

fn main() {
    let iters: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(40);
    let exprs = workload();
    let start = Instant::now();
    let mut acc = 0i64;
    for _ in 0..iters * 1000 {
        for e in exprs.iter().step_by(7) {
            acc = acc.wrapping_add(eval(e));
        }
    }
    eprintln!("pgo-demo: {iters} iterations in {:.3}s", start.elapsed().as_secs_f64());
    println!("{acc}");
}
