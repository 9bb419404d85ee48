package io.ravine.io;

import java.nio.charset.CharacterCodingException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a JSON or CSV parser's exception says, in the file's own terms: where (line, column, JSON path) and what was
 * wrong, without the library's advice, class names, token constants or links ("Use
 * JsonReader.setStrictness(Strictness.LENIENT) to accept malformed JSON", "Expected BEGIN_ARRAY but was STRING",
 * "See https://github.com/google/gson/...", Commons CSV's "(startline 6) EOF reached before encapsulated token
 * finished"). Callers put the file's name in front.
 */
public final class ParseErrors {
    private static final Pattern WHERE = Pattern.compile(
            "\\s*at line (\\d+) column (\\d+)(?: path (\\S+))?");
    /** Gson's data binding says where without a line: "...; at path $.config". */
    private static final Pattern AT_PATH = Pattern.compile(";?\\s*at path (\\S+)\\s*$");
    private static final Pattern EXPECTED = Pattern.compile(
            "Expected (?:a |an )?([\\w.$]+) but was ([\\w.$]+)", Pattern.CASE_INSENSITIVE);
    private static final Map<String, String> TOKENS = new LinkedHashMap<>();

    static {
        TOKENS.put("BEGIN_ARRAY", "an array");
        TOKENS.put("END_ARRAY", "the end of an array");
        TOKENS.put("BEGIN_OBJECT", "an object");
        TOKENS.put("END_OBJECT", "the end of an object");
        TOKENS.put("NAME", "a key");
        TOKENS.put("STRING", "a string");
        TOKENS.put("NUMBER", "a number");
        TOKENS.put("BOOLEAN", "true or false");
        TOKENS.put("NULL", "null");
        TOKENS.put("END_DOCUMENT", "the end of the file");
        TOKENS.put("JSONOBJECT", "an object");
        TOKENS.put("JSONARRAY", "an array");
        TOKENS.put("JSONPRIMITIVE", "a string, number or boolean");
        TOKENS.put("JSONNULL", "null");
        TOKENS.put("INT", "an integer");
        TOKENS.put("LONG", "an integer");
        TOKENS.put("DOUBLE", "a number");
    }

    private ParseErrors() {
    }

    /** A JSON parser's (Gson's) exception as "PROBLEM at line L, column C (at $.path)". */
    public static String json(Throwable e) {
        Throwable t = e;
        // JsonSyntaxException and JsonIOException wrap the reader's exception; its message is the useful one.
        while (t.getCause() != null && t.getCause() != t && (t.getMessage() == null
                || t.getMessage().startsWith("java.") || t.getMessage().startsWith("com.google"))) {
            t = t.getCause();
        }
        String m = firstLine(t.getMessage());
        if (m.isEmpty()) {
            return "not valid JSON";
        }
        String where = "";
        Matcher w = WHERE.matcher(m);
        if (w.find()) {
            where = " at line " + w.group(1) + ", column " + w.group(2)
                    + (w.group(3) != null && !w.group(3).equals("$") && !w.group(3).equals("$.")
                            ? " (" + w.group(3) + ")" : "");
            m = m.substring(0, w.start()).trim();
        } else {
            Matcher a = AT_PATH.matcher(m);
            if (a.find()) {
                where = a.group(1).equals("$") ? "" : " (at " + a.group(1) + ")";
                m = m.substring(0, a.start()).trim();
            }
        }
        String problem;
        Matcher x = EXPECTED.matcher(m);
        if (m.startsWith("Use JsonReader.setStrictness") || m.contains("malformed JSON")) {
            problem = "malformed JSON";
        } else if (m.startsWith("End of input") || t instanceof java.io.EOFException) {
            problem = "the text ends early (truncated?)";
        } else if (x.find()) {
            problem = "expected " + token(x.group(1)) + ", found " + token(x.group(2));
        } else if (m.startsWith("JSON forbids NaN and infinities")) {
            problem = "NaN or Infinity, which JSON does not allow";
        } else if (m.startsWith("Unterminated")) {
            problem = m.toLowerCase(Locale.ROOT);
        } else if (m.startsWith("Expected")) {
            problem = "expected" + m.substring("Expected".length());
        } else if (m.startsWith("duplicate key")) {
            problem = m;
        } else {
            // Anything else a parser says: its words, without class names.
            problem = m.replaceAll("\\b(?:java|com\\.google)\\.[\\w.$]+", "").trim();
            if (problem.isEmpty()) {
                problem = "not valid JSON";
            }
        }
        return problem + where;
    }

    /** A Commons CSV (or decoder) exception as "PROBLEM" (the caller names the file and the line). */
    public static String csv(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            if (t instanceof CharacterCodingException) {
                break;
            }
            t = t.getCause();
        }
        if (t instanceof CharacterCodingException) {
            return "not UTF-8 text (a binary or compressed file?)";
        }
        String m = firstLine(t.getMessage());
        String lower = m.toLowerCase(Locale.ROOT);
        if (lower.contains("eof reached before encapsulated token finished")) {
            return "a quoted cell is never closed (unterminated quote)";
        }
        if (lower.contains("invalid char") && lower.contains("between encapsulated token and delimiter")) {
            return "text between the closing quote of a cell and the next comma";
        }
        if (lower.contains("duplicate name")) {
            return "the header repeats a column name" + quoted(m);
        }
        if (lower.contains("empty name") || lower.contains("missing column name")) {
            return "the header has an empty column name";
        }
        return m.replaceAll("\\(line \\d+\\)|\\(startline \\d+\\)|at line: \\d+, position: \\d+", "")
                .replaceAll("\\s+", " ").trim();
    }

    /**
     * An I/O failure in words: NIO's exceptions carry the path as their message and the reason only in their type
     * or {@link java.nio.file.FileSystemException#getReason()} ("/a/b" alone says nothing).
     */
    public static String io(Throwable e) {
        if (e instanceof CharacterCodingException) {
            return "not UTF-8 text (a binary or compressed file?)";
        }
        if (e instanceof java.nio.file.FileSystemException fs) {
            String reason = fs.getReason();
            if (reason == null) {
                reason = fs instanceof java.nio.file.AccessDeniedException ? "permission denied"
                        : fs instanceof java.nio.file.NoSuchFileException ? "no such file or directory"
                        : fs instanceof java.nio.file.NotDirectoryException ? "not a directory"
                        : fs instanceof java.nio.file.FileAlreadyExistsException ? "already exists"
                        : "file system error";
            }
            return reason;
        }
        String m = firstLine(e.getMessage());
        return m.isEmpty() ? "read error" : m;
    }

    /** Java's number parsers' "For input string: \"x\"" as "'x' is not a number". */
    public static String number(NumberFormatException e) {
        String m = firstLine(e.getMessage());
        Matcher q = Pattern.compile("For input string: \"(.*)\"").matcher(m);
        if (q.find()) {
            return "'" + q.group(1) + "' is not a number";
        }
        return m.equals("empty String") || m.isEmpty() ? "an empty cell is not a number" : m;
    }

    private static String quoted(String m) {
        Matcher q = Pattern.compile("\"([^\"]*)\"").matcher(m);
        return q.find() ? " '" + q.group(1) + "'" : "";
    }

    private static String token(String t) {
        String key = t.replaceAll("^.*\\.", "").toUpperCase(Locale.ROOT);
        String word = TOKENS.get(key);
        return word != null ? word : t.toLowerCase(Locale.ROOT);
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        String line = s.lines().findFirst().orElse("").trim();
        int see = line.indexOf(" See https://");
        return see >= 0 ? line.substring(0, see).trim() : line;
    }
}
