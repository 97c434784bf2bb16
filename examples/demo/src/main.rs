//! pgo-demo: a tree-walking interpreter for a tiny expression language.
//! Evaluation is a recursive `match` over boxed nodes with variable lookups
//! and calls: the hot paths depend on the program, which profile-guided
//! optimisation learns (inlining, block layout, branch weights).
//!
//! Usage: pgo-demo [ITERATIONS]

use std::time::Instant;

#[derive(Debug)]
enum Expr {
    Num(i64),
    Var(usize),
    Add(Box<Expr>, Box<Expr>),
    Sub(Box<Expr>, Box<Expr>),
    Mul(Box<Expr>, Box<Expr>),
    Div(Box<Expr>, Box<Expr>),
    Rem(Box<Expr>, Box<Expr>),
    Lt(Box<Expr>, Box<Expr>),
    Eq(Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    If(Box<Expr>, Box<Expr>, Box<Expr>),
    Call(usize, Vec<Expr>),
    While(Box<Expr>, Box<Expr>),
    Set(usize, Box<Expr>),
    Seq(Vec<Expr>),
}

struct Func {
    params: usize,
    body: Expr,
}

#[derive(Debug)]
enum Error {
    DivByZero,
    Depth,
}

struct Interp<'f> {
    funcs: &'f [Func],
    env: Vec<i64>,
    depth: usize,
}

impl<'f> Interp<'f> {
    fn eval(&mut self, e: &Expr, base: usize) -> Result<i64, Error> {
        Ok(match e {
            Expr::Num(n) => *n,
            Expr::Var(i) => self.env[base + i],
            Expr::Add(a, b) => self.eval(a, base)?.wrapping_add(self.eval(b, base)?),
            Expr::Sub(a, b) => self.eval(a, base)?.wrapping_sub(self.eval(b, base)?),
            Expr::Mul(a, b) => self.eval(a, base)?.wrapping_mul(self.eval(b, base)?),
            Expr::Div(a, b) => {
                let (x, y) = (self.eval(a, base)?, self.eval(b, base)?);
                if y == 0 { return Err(Error::DivByZero) }
                x.wrapping_div(y)
            }
            Expr::Rem(a, b) => {
                let (x, y) = (self.eval(a, base)?, self.eval(b, base)?);
                if y == 0 { return Err(Error::DivByZero) }
                x.wrapping_rem(y)
            }
            Expr::Lt(a, b) => (self.eval(a, base)? < self.eval(b, base)?) as i64,
            Expr::Eq(a, b) => (self.eval(a, base)? == self.eval(b, base)?) as i64,
            Expr::And(a, b) => (self.eval(a, base)? != 0 && self.eval(b, base)? != 0) as i64,
            Expr::Not(a) => (self.eval(a, base)? == 0) as i64,
            Expr::If(c, t, f) => {
                if self.eval(c, base)? != 0 { self.eval(t, base)? } else { self.eval(f, base)? }
            }
            Expr::Set(slot, v) => {
                let v = self.eval(v, base)?;
                self.env[base + slot] = v;
                v
            }
            Expr::While(c, body) => {
                let mut last = 0;
                while self.eval(c, base)? != 0 {
                    last = self.eval(body, base)?;
                }
                last
            }
            Expr::Seq(items) => {
                let mut last = 0;
                for item in items {
                    last = self.eval(item, base)?;
                }
                last
            }
            Expr::Call(f, args) => {
                if self.depth > 10_000 { return Err(Error::Depth) }
                let func = &self.funcs[*f];
                let new_base = self.env.len();
                for a in args {
                    let v = self.eval(a, base)?;
                    self.env.push(v);
                }
                self.env.resize(new_base + func.params + 4, 0);
                self.depth += 1;
                let r = self.eval(&func.body, new_base);
                self.depth -= 1;
                self.env.truncate(new_base);
                r?
            }
        })
    }
}

fn b(e: Expr) -> Box<Expr> { Box::new(e) }
use Expr::*;

/// fib(n), gcd(a, b), collatz_len(n), is_prime(n): calls, loops, branches.
fn program() -> Vec<Func> {
    let fib = Func { params: 1, body: If(b(Lt(b(Var(0)), b(Num(2)))), b(Var(0)),
        b(Add(b(Call(0, vec![Sub(b(Var(0)), b(Num(1)))])), b(Call(0, vec![Sub(b(Var(0)), b(Num(2)))]))))) };
    let gcd = Func { params: 2, body: If(b(Eq(b(Var(1)), b(Num(0)))), b(Var(0)),
        b(Call(1, vec![Var(1), Rem(b(Var(0)), b(Var(1)))]))) };
    let collatz = Func { params: 1, body: Seq(vec![
        Set(1, b(Num(0))),
        While(b(Not(b(Eq(b(Var(0)), b(Num(1)))))), b(Seq(vec![
            If(b(Eq(b(Rem(b(Var(0)), b(Num(2)))), b(Num(0)))),
               b(Set(0, b(Div(b(Var(0)), b(Num(2)))))),
               b(Set(0, b(Add(b(Mul(b(Var(0)), b(Num(3)))), b(Num(1))))))),
            Set(1, b(Add(b(Var(1)), b(Num(1))))),
        ]))),
        Var(1),
    ]) };
    let is_prime = Func { params: 1, body: Seq(vec![
        Set(1, b(Num(2))),
        Set(2, b(Lt(b(Num(1)), b(Var(0))))),
        While(b(And(b(Var(2)), b(Not(b(Lt(b(Var(0)), b(Mul(b(Var(1)), b(Var(1)))))))))), b(Seq(vec![
            If(b(Eq(b(Rem(b(Var(0)), b(Var(1)))), b(Num(0)))), b(Set(2, b(Num(0)))), b(Num(0))),
            Set(1, b(Add(b(Var(1)), b(Num(1))))),
        ]))),
        Var(2),
    ]) };
    vec![fib, gcd, collatz, is_prime]
}

fn main() {
    let iters: i64 = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(30);
    let funcs = program();
    let mut it = Interp { funcs: &funcs, env: Vec::with_capacity(1 << 16), depth: 0 };
    let start = Instant::now();
    let mut checksum = 0i64;
    for i in 0..iters {
        let calls = [
            Call(0, vec![Num(18 + i % 3)]),
            Call(1, vec![Num(1_000_003 * (i + 7)), Num(999_983 + i)]),
            Call(2, vec![Num(27 + i)]),
        ];
        for c in &calls {
            checksum = checksum.wrapping_add(it.eval(c, 0).expect("program error"));
        }
        for n in 0..2_000 {
            checksum = checksum.wrapping_add(it.eval(&Call(3, vec![Num(n + i)]), 0).expect("program error"));
            checksum = checksum.wrapping_add(it.eval(&Call(2, vec![Num(n + 1)]), 0).expect("program error"));
        }
    }
    eprintln!("pgo-demo: {iters} iterations in {:.3}s", start.elapsed().as_secs_f64());
    println!("{checksum}");
}
