// The search box's text as the grammar cuts it: chips, completions and edits.
import { describe, expect, test } from "vitest";
import {
  applyCompletion,
  chipsOf,
  completionAt,
  dateRangeLabel,
  monthLabel,
  nextMonth,
  removeTokens,
  tokenize,
  withMonth,
} from "../src/querytext";

describe("tokens", () => {
  test("words, exclusions, phrases, keys, quoted values and weights, as the engine cuts them", () => {
    const text = `red  -blue "at night" in:"My Photos" type:PNG sunset^2 -"a crowd" Camera:pixel`;
    const cut = tokenize(text).map((t) => [text.slice(t.start, t.end), t.negative, t.key, t.value, t.quoted]);
    expect(cut).toEqual([
      ["red", false, null, "red", false],
      ["-blue", true, null, "blue", false],
      [`"at night"`, false, null, "at night", true],
      [`in:"My Photos"`, false, "in", "My Photos", true],
      ["type:PNG", false, "type", "PNG", false],
      ["sunset^2", false, null, "sunset", false],
      [`-"a crowd"`, true, null, "a crowd", true],
      ["Camera:pixel", false, "camera", "pixel", false],
    ]);
    // Paths keep their colons; an unclosed quote takes the rest.
    expect(tokenize("in:/home/me/a:b").map((t) => [t.key, t.value])).toEqual([["in", "/home/me/a:b"]]);
    const open = tokenize(`cat "at nig`);
    expect(open[1]).toMatchObject({ value: "at nig", unclosed: true, end: 11 });
  });
});

describe("chips", () => {
  test("folder, date range, type and camera chips, in the order written, the dates as one", () => {
    const chips = chipsOf("beach in:Holidays before:2019-09 type:heic after:2019-06 camera:pixel sort:newest");
    expect(chips.map((c) => [c.kind, c.label])).toEqual([
      ["folder", "Holidays"],
      ["date", "Jun 2019 – Aug 2019"],
      ["type", "HEIC"],
      ["camera", "pixel"],
      ["sort", "Newest first"],
    ]);
    expect(chips[1]?.tokens.map((t) => t.key)).toEqual(["before", "after"]);
  });

  test("date ranges read as people say them", () => {
    expect(dateRangeLabel("2019-06", "2019-07")).toBe("Jun 2019");
    expect(dateRangeLabel("2019", "2020")).toBe("2019");
    expect(dateRangeLabel("2019-12", "2020-01")).toBe("Dec 2019");
    expect(dateRangeLabel("2019-06-03", "2019-06-04")).toBe("3 Jun 2019");
    expect(dateRangeLabel("2019-06-03", "2019-07-01")).toBe("3 Jun 2019 – 30 Jun 2019");
    expect(dateRangeLabel("2019", null)).toBe("From 2019");
    expect(dateRangeLabel(null, "2020-03")).toBe("Before Mar 2020");
    expect(dateRangeLabel("soon", null), "what the grammar will refuse is shown as written").toBe("soon");
  });

  test("removing a chip removes its tokens and the space beside them", () => {
    const text = "beach in:Holidays after:2019-06 before:2019-07 type:png";
    const [folder, date, type] = chipsOf(text);
    expect(removeTokens(text, folder?.tokens ?? [])).toBe("beach after:2019-06 before:2019-07 type:png");
    expect(removeTokens(text, date?.tokens ?? [])).toBe("beach in:Holidays type:png");
    expect(removeTokens(text, type?.tokens ?? [])).toBe("beach in:Holidays after:2019-06 before:2019-07");
    expect(removeTokens("in:x", chipsOf("in:x")[0]?.tokens ?? [])).toBe("");
  });

  test("the token being typed is left out", () => {
    const text = "dog in:Par";
    expect(chipsOf(text, tokenize(text)[1] ?? null)).toEqual([]);
  });
});

describe("completion", () => {
  test("the filter at the caret and the value typed so far", () => {
    expect(completionAt("dog in:Pa", 9)).toMatchObject({ key: "in", prefix: "Pa" });
    expect(completionAt("dog in:", 7)).toMatchObject({ key: "in", prefix: "" });
    expect(completionAt("dog -camera:ca", 14)).toMatchObject({ key: "camera", prefix: "ca" });
    expect(completionAt(`in:"My Ph`, 9)).toMatchObject({ key: "in", prefix: "My Ph" });
    expect(completionAt("type:p", 6)).toMatchObject({ key: "type", prefix: "p" });
    expect(completionAt("dog in:Pa", 3), "in a word").toBeNull();
    expect(completionAt("name:IMG", 8), "name: has nothing to offer").toBeNull();
    expect(completionAt("in:Pa", 1), "in the key").toBeNull();
  });

  test("a chosen value replaces the token, quoted when it has spaces, and a space follows", () => {
    const text = "dog in:Ph sunset";
    const c = completionAt(text, 9);
    expect(c).not.toBeNull();
    if (!c) return;
    expect(applyCompletion(text, c, "Phone backup")).toEqual({ text: `dog in:"Phone backup" sunset`, caret: 22 });
    const end = completionAt("dog in:Pa", 9);
    if (!end) throw new Error("a completion");
    expect(applyCompletion("dog in:Pa", end, "Paris")).toEqual({ text: "dog in:Paris ", caret: 13 });
  });
});

describe("months", () => {
  test("a month of the timeline replaces the dates of the text", () => {
    expect(nextMonth("2019-06")).toBe("2019-07");
    expect(nextMonth("2019-12")).toBe("2020-01");
    expect(monthLabel("2019-06")).toBe("Jun 2019");
    expect(monthLabel("2019-06", true)).toBe("June 2019");
    expect(withMonth("beach", "2019-06")).toBe("beach after:2019-06 before:2019-07");
    expect(withMonth("beach after:2018 in:x before:2020", "2019-12")).toBe("beach in:x after:2019-12 before:2020-01");
  });
});
