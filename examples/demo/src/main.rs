//! pgo-demo: a small stack-machine interpreter. Its dispatch loop is a big
//! `match` whose hot arms depend on the program run, which is exactly what
//! profile-guided optimisation learns: block layout, inlining, branch weights.
//!
//! Usage: pgo-demo [ITERATIONS]

use std::time::Instant;

#[derive(Clone, Copy, Debug)]
#[allow(dead_code)] // Dup and Drop complete the instruction set
enum Op {
    Push(i64),
    Load(u8),
    Store(u8),
    Add,
    Sub,
    Mul,
    Rem,
    Lt,
    Eq,
    Jmp(u32),
    Jz(u32),
    Dup,
    Drop,
    Swap,
    Call(u32),
    Ret,
    Halt,
}

struct Vm<'p> {
    code: &'p [Op],
    stack: Vec<i64>,
    frames: Vec<(usize, [i64; 8])>,
    locals: [i64; 8],
}

impl<'p> Vm<'p> {
    fn new(code: &'p [Op]) -> Self {
        Vm { code, stack: Vec::with_capacity(256), frames: Vec::new(), locals: [0; 8] }
    }

    #[inline(never)]
    fn run(&mut self, entry: usize) -> i64 {
        let mut pc = entry;
        loop {
            let op = self.code[pc];
            pc += 1;
            match op {
                Op::Push(v) => self.stack.push(v),
                Op::Load(i) => self.stack.push(self.locals[i as usize]),
                Op::Store(i) => self.locals[i as usize] = self.stack.pop().unwrap(),
                Op::Add => { let b = self.stack.pop().unwrap(); let a = self.stack.pop().unwrap(); self.stack.push(a.wrapping_add(b)) }
                Op::Sub => { let b = self.stack.pop().unwrap(); let a = self.stack.pop().unwrap(); self.stack.push(a.wrapping_sub(b)) }
                Op::Mul => { let b = self.stack.pop().unwrap(); let a = self.stack.pop().unwrap(); self.stack.push(a.wrapping_mul(b)) }
                Op::Rem => { let b = self.stack.pop().unwrap(); let a = self.stack.pop().unwrap(); self.stack.push(if b == 0 { 0 } else { a % b }) }
                Op::Lt => { let b = self.stack.pop().unwrap(); let a = self.stack.pop().unwrap(); self.stack.push((a < b) as i64) }
                Op::Eq => { let b = self.stack.pop().unwrap(); let a = self.stack.pop().unwrap(); self.stack.push((a == b) as i64) }
                Op::Jmp(t) => pc = t as usize,
                Op::Jz(t) => { if self.stack.pop().unwrap() == 0 { pc = t as usize } }
                Op::Dup => { let v = *self.stack.last().unwrap(); self.stack.push(v) }
                Op::Drop => { self.stack.pop(); }
                Op::Swap => { let n = self.stack.len(); self.stack.swap(n - 1, n - 2) }
                Op::Call(t) => {
                    let arg = self.stack.pop().unwrap();
                    self.frames.push((pc, self.locals));
                    self.locals = [0; 8];
                    self.locals[0] = arg;
                    pc = t as usize;
                }
                Op::Ret => match self.frames.pop() {
                    Some((ret, saved)) => { self.locals = saved; pc = ret }
                    None => return self.stack.pop().unwrap_or(0),
                },
                Op::Halt => return self.stack.pop().unwrap_or(0),
            }
        }
    }
}

/// fib(n) by recursion: calls, compares, arithmetic.
fn fib_program() -> Vec<Op> {
    use Op::*;
    vec![
        // 0: fib(locals[0])
        Load(0), Push(2), Lt, Jz(6),
        Load(0), Ret,
        // 6:
        Load(0), Push(1), Sub, Call(0),
        Load(0), Push(2), Sub, Call(0),
        Add, Ret,
    ]
}

/// Counts primes below locals[0] by trial division: loops and remainders.
fn primes_program() -> Vec<Op> {
    use Op::*;
    const PRIME: u32 = 26;
    const NEXT: u32 = 30;
    const END: u32 = 35;
    vec![
        // locals: 0 = limit, 1 = n, 2 = d, 3 = count
        /* 0 */ Push(2), Store(1), Push(0), Store(3),
        /* 4: while n < limit */ Load(1), Load(0), Lt, Jz(END),
        /* 8 */ Push(2), Store(2),
        /* 10: if n < d*d: prime */ Load(1), Load(2), Load(2), Mul, Lt, Jz(17), Jmp(PRIME),
        /* 17: if n % d == 0: composite */ Load(1), Load(2), Rem, Jz(NEXT),
        /* 21: d += 1 */ Load(2), Push(1), Add, Store(2), Jmp(10),
        /* 26 PRIME */ Load(3), Push(1), Add, Store(3),
        /* 30 NEXT */ Load(1), Push(1), Add, Store(1), Jmp(4),
        /* 35 END */ Load(3), Halt,
    ]
}

fn main() {
    let iters: u32 = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(30);
    let fib = fib_program();
    let primes = primes_program();
    let start = Instant::now();
    let mut checksum = 0i64;
    for i in 0..iters {
        let mut vm = Vm::new(&fib);
        vm.stack.push(20 + (i % 3) as i64);
        vm.locals[0] = vm.stack.pop().unwrap();
        checksum = checksum.wrapping_add(vm.run(0));
        let mut vm = Vm::new(&primes);
        vm.locals[0] = 20_000 + i as i64;
        checksum = checksum.wrapping_add(vm.run(0));
    }
    eprintln!("pgo-demo: {iters} iterations in {:.3}s", start.elapsed().as_secs_f64());
    println!("{checksum}");
}
