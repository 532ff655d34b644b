// ISO 4217 active currency codes and their minor-unit exponents (decimal places), from the
// ISO 4217 maintenance agency's List One (SIX, https://www.six-group.com/en/products-services/
// financial-information/data-standards.html), as amended to 2025.
//
// Deliberately left out: fund and accounting codes (BOV, CHE, CHW, CLF, COU, MXV, USN, UYI,
// UYW, XDR, XSU, XUA), precious metals (XAU, XAG, XPD, XPT), the testing and "no currency"
// codes (XTS, XXX), and currencies withdrawn by 2026 (ANG -> XCG, BGN -> EUR, HRK -> EUR,
// SLL -> SLE, ZWL -> ZWG, CUC). A deal is priced in money people can actually pay.
const BY_EXPONENT: Readonly<Record<0 | 2 | 3, string>> = {
  0: 'BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX VND VUV XAF XOF XPF',
  2: `AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BMD BND BOB BRL BSD BTN BWP BYN BZD
      CAD CDF CHF CNY COP CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS
      GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP
      LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK
      NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS
      SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD UYU UZS VED VES WST
      XCD XCG YER ZAR ZMW ZWG`,
  3: 'BHD IQD JOD KWD LYD OMR TND',
};

const EXPONENTS: ReadonlyMap<string, number> = new Map(
  Object.entries(BY_EXPONENT).flatMap(([exponent, codes]) => codes.trim().split(/\s+/).map((code) => [code, Number(exponent)] as const)),
);

/** Every accepted ISO 4217 code, in alphabetical order. */
export const CURRENCIES: readonly string[] = Object.freeze([...EXPONENTS.keys()].sort());

/** Digits after the decimal point (USD 2, JPY 0, KWD 3), or null for anything not in the list. */
export function currencyExponent(code: unknown): number | null {
  return typeof code === 'string' ? (EXPONENTS.get(code) ?? null) : null;
}

/** A known ISO 4217 code, upper case exactly as ISO spells it. */
export function isCurrency(code: unknown): code is string {
  return currencyExponent(code) !== null;
}
