package io.distilflux.pipeline.event;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The checks every {@code extra} map of an event passes when it is built or decoded: a record
 * from the wire cannot make a consumer keep more than a few short names. Which names a run
 * uses is up to its {@link RunConfig#extraMeta()}; consumers ignore the others.
 */
public final class Extras {

  /** Most entries an {@code extra} map may hold. */
  public static final int MAX_ENTRIES = 8;

  private static final Pattern NAME = Pattern.compile("[A-Za-z][A-Za-z0-9_]{0,31}");

  private Extras() {}

  /**
   * An immutable, name-ordered copy; null reads as empty (the fields are absent before schema
   * version 4).
   *
   * @throws IllegalArgumentException when the map is too large, a name is not a short
   *     identifier or a value is null
   */
  public static <V> Map<String, V> copy(Map<String, V> extra, String field) {
    if (extra == null || extra.isEmpty()) {
      return Map.of();
    }
    if (extra.size() > MAX_ENTRIES) {
      throw new IllegalArgumentException(
          field + " holds " + extra.size() + " entries, at most " + MAX_ENTRIES);
    }
    TreeMap<String, V> copy = new TreeMap<>();
    for (Map.Entry<String, V> entry : extra.entrySet()) {
      if (entry.getKey() == null || !NAME.matcher(entry.getKey()).matches()) {
        throw new IllegalArgumentException(field + " has an invalid name");
      }
      if (entry.getValue() == null) {
        throw new IllegalArgumentException(field + "." + entry.getKey() + " is null");
      }
      copy.put(entry.getKey(), entry.getValue());
    }
    return Collections.unmodifiableMap(copy);
  }
}
