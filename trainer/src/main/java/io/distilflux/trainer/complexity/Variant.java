package io.distilflux.trainer.complexity;

/**
 * The paper's compared variants (its Tables 1–3), by their letters (а)…(е)
 * (docs/complexity.md §1).
 */
public enum Variant {
  /** (а) one model per λ. */
  DIRECT("а", "direct"),
  /** (б) one model per λ, one epoch only. */
  DIRECT_ONE_EPOCH("б", "direct, 1 epoch"),
  /** (в) the low-rank hypernetwork. */
  LOW_RANK("в", "low-rank hypernetwork"),
  /** (г) the low-rank hypernetwork, then a fine-tune at each λ. */
  LOW_RANK_FINE_TUNED("г", "low-rank + fine-tune"),
  /** (д) the linear hypernetwork. */
  LINEAR("д", "linear hypernetwork"),
  /** (е) the linear hypernetwork, then a fine-tune at each λ. */
  LINEAR_FINE_TUNED("е", "linear + fine-tune"),
  /**
   * Not in the paper: one variational student of the distillation pipeline whose λ is tuned
   * online by the meta-optimizer (docs/complexity.md §4), evaluated at its final λ.
   */
  ONLINE("λc", "online λ_c");

  private final String letter;
  private final String description;

  Variant(String letter, String description) {
    this.letter = letter;
    this.description = description;
  }

  /** The paper's letter. */
  public String letter() {
    return letter;
  }

  /** A few words for tables and legends. */
  public String description() {
    return description;
  }

  /** "(а) direct". */
  public String label() {
    return "(" + letter + ") " + description;
  }
}
