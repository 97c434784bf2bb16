struct S<#[cfg(test)] T>(u8);
fn g() { let c = |a, #[cfg(test)] x: u8| hot() + 1; m!(#[test] fn real() { 5 }); Parser { pos: 0, #[cfg(test)] trace: Vec::new() } }
/// doc
#[ignore]
#[test]
fn t() -> Result<(), Box<dyn Error>> { Ok(()) }
