package io.ravine.artifacts;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * The rules of issue 13 for what Ravine puts in a user's project, as functions from a jar, a pom or a class path to
 * the list of what breaks them (empty: nothing). ArtifactsIT applies them to the real build; ArtifactChecksTest shows
 * that each one finds what it is about.
 */
final class ArtifactChecks {
    /** The library jar's budget (issue 13: "under 5 MB"; the CLI jar carries the rest). */
    static final long LIBRARY_JAR_BUDGET = 5_000_000L;
    /** Class files of Java 17 (major version 61): the library's users may run Java 17. */
    static final int JAVA_17_MAJOR = 61;

    /** Group ids of test libraries, which belong at test scope only. */
    static final List<String> TEST_GROUPS = List.of("junit", "org.junit", "org.opentest4j", "org.testng",
            "org.hamcrest", "org.mockito", "org.assertj", "org.apiguardian");

    private ArtifactChecks() {
    }

    /**
     * The library jar: only Ravine's own classes and resources (io/ravine/), its licence files and Maven's metadata; no
     * logging configuration or SLF4J binding; class files for Java 17; smaller than {@code budget} bytes.
     */
    static List<String> libraryJarProblems(Path jar, long budget) throws IOException {
        List<String> problems = new ArrayList<>();
        long size = Files.size(jar);
        if (size >= budget) {
            problems.add(jar.getFileName() + " is " + size + " bytes, not under " + budget);
        }
        Set<String> metaInf = Set.of("META-INF/MANIFEST.MF", "META-INF/LICENSE", "META-INF/NOTICE");
        boolean license = false;
        boolean notice = false;
        try (JarFile j = new JarFile(jar.toFile())) {
            for (Enumeration<? extends ZipEntry> en = j.entries(); en.hasMoreElements();) {
                ZipEntry e = en.nextElement();
                String name = e.getName();
                if (e.isDirectory()) {
                    continue;
                }
                license |= name.equals("META-INF/LICENSE");
                notice |= name.equals("META-INF/NOTICE");
                String base = name.substring(name.lastIndexOf('/') + 1);
                if (base.matches("logback(-test)?\\.xml|logback\\.groovy|log4j2?(-test)?\\.(xml|properties|json|yaml)"
                        + "|simplelogger\\.properties|logging\\.properties")) {
                    problems.add("logging configuration " + name + " (the application configures its own logging)");
                } else if (name.startsWith("org/slf4j/") || name.startsWith("ch/qos/logback/")
                        || name.equals("META-INF/services/org.slf4j.spi.SLF4JServiceProvider")) {
                    problems.add("SLF4J binding or API " + name + " (the library depends on slf4j-api, binds nothing)");
                } else if (name.startsWith("META-INF/")) {
                    // Ravine's own service registrations (an interface of io.ravine, e.g. the run reporter) are its.
                    boolean ownService = name.startsWith("META-INF/services/io.ravine.");
                    if (!metaInf.contains(name) && !ownService && !name.startsWith("META-INF/maven/io.ravine/ravine/")) {
                        problems.add("foreign metadata " + name);
                    }
                } else if (!name.startsWith("io/ravine/")) {
                    problems.add((name.endsWith(".class") ? "class" : "resource") + " outside io/ravine/: " + name
                            + " (an unrelocated copy of a dependency?)");
                } else if (name.endsWith(".class")) {
                    int major = classMajorVersion(j, e);
                    if (major > JAVA_17_MAJOR) {
                        problems.add(name + " is class file version " + major + ", newer than Java 17's "
                                + JAVA_17_MAJOR);
                    }
                }
            }
            if (!license || !notice) {
                problems.add("META-INF/LICENSE or META-INF/NOTICE missing");
            }
            Manifest mf = j.getManifest();
            if (mf != null && mf.getMainAttributes().getValue("Main-Class") != null) {
                problems.add("a Main-Class in the library jar's manifest (the CLI jar is the runnable one)");
            }
        }
        return problems;
    }

    private static int classMajorVersion(JarFile j, ZipEntry e) throws IOException {
        try (InputStream in = j.getInputStream(e)) {
            byte[] head = in.readNBytes(8);
            if (head.length < 8 || (head[0] & 0xff) != 0xCA || (head[1] & 0xff) != 0xFE) {
                return Integer.MAX_VALUE;
            }
            return (head[6] & 0xff) << 8 | (head[7] & 0xff);
        }
    }

    /** One dependency of a pom, as Maven reads it for a consumer. */
    record Dependency(String groupId, String artifactId, String classifier, String scope, boolean optional,
            List<String> exclusions) {
        String key() {
            return groupId + ":" + artifactId + (classifier.isEmpty() ? "" : ":" + classifier);
        }
    }

    /** The direct dependencies of the pom in {@code xml}, in order (scope "compile" where none is written). */
    static List<Dependency> dependencies(String xml) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        Document doc = f.newDocumentBuilder().parse(new java.io.ByteArrayInputStream(
                xml.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        List<Dependency> deps = new ArrayList<>();
        Element project = doc.getDocumentElement();
        Element dependencies = child(project, "dependencies");
        if (dependencies == null) {
            return deps;
        }
        for (Element d : children(dependencies, "dependency")) {
            List<String> exclusions = new ArrayList<>();
            Element ex = child(d, "exclusions");
            if (ex != null) {
                for (Element e : children(ex, "exclusion")) {
                    exclusions.add(text(e, "groupId") + ":" + text(e, "artifactId"));
                }
            }
            String scope = text(d, "scope");
            deps.add(new Dependency(text(d, "groupId"), text(d, "artifactId"), text(d, "classifier"),
                    scope.isEmpty() ? "compile" : scope, text(d, "optional").equals("true"), exclusions));
        }
        return deps;
    }

    /**
     * The pom Maven installs with the library: test libraries at test scope only; the CLI's parts (picocli, Logback)
     * and CUDA and plotting (JCuda, XChart) optional; XChart without PDFBox (whose 3.0.1 pom brings junit-jupiter at
     * compile scope); the Apache-2.0 licence declared.
     */
    static List<String> installedPomProblems(String xml) throws Exception {
        List<String> problems = new ArrayList<>();
        for (Dependency d : dependencies(xml)) {
            boolean testLibrary = TEST_GROUPS.stream().anyMatch(g -> d.groupId().equals(g)
                    || d.groupId().startsWith(g + "."));
            if (testLibrary && !d.scope().equals("test")) {
                problems.add(d.key() + " is a test library at scope " + d.scope());
            }
            if (d.scope().equals("test")) {
                continue;
            }
            boolean mustBeOptional = d.groupId().equals("ch.qos.logback") || d.groupId().equals("info.picocli")
                    || d.groupId().equals("org.jcuda") || d.groupId().equals("org.knowm.xchart");
            if (mustBeOptional && !d.optional()) {
                problems.add(d.key() + " must be optional (a user adds it only to use that part)");
            }
            if (d.artifactId().equals("xchart") && d.exclusions().stream().noneMatch(e -> e.equals("*:*")
                    || e.equals("de.rototor.pdfbox:graphics2d") || e.equals("de.rototor.pdfbox:*"))) {
                problems.add(d.key() + " without excluding de.rototor.pdfbox:graphics2d (pdfbox brings junit-jupiter)");
            }
            if (d.groupId().startsWith("org.apache.pdfbox") || d.groupId().startsWith("de.rototor")) {
                problems.add(d.key() + ": PDFBox is not Ravine's dependency (it writes PNG only)");
            }
        }
        if (!xml.contains("<name>Apache-2.0</name>")) {
            problems.add("no <licenses> entry naming Apache-2.0");
        }
        return problems;
    }

    /**
     * A consumer's compile class path (jar paths in a Maven local repository): no test library, no logging binding, no
     * PDFBox, and none of Ravine's optional parts (they reach a user only when the user declares them).
     */
    static List<String> compileClassPathProblems(List<Path> entries, Path localRepository) {
        Map<String, String> banned = new LinkedHashMap<>();
        banned.put("junit/", "a test library");
        banned.put("org/junit/", "a test library");
        banned.put("org/opentest4j/", "a test library");
        banned.put("org/testng/", "a test library");
        banned.put("org/hamcrest/", "a test library");
        banned.put("org/mockito/", "a test library");
        banned.put("org/assertj/", "a test library");
        banned.put("ch/qos/logback/", "a logging binding");
        banned.put("org/slf4j/slf4j-simple/", "a logging binding");
        banned.put("org/apache/pdfbox/", "PDFBox");
        banned.put("de/rototor/", "PDFBox's Graphics2D adapter");
        banned.put("org/jcuda/", "an optional part (CUDA)");
        banned.put("org/knowm/xchart/", "an optional part (charts)");
        banned.put("info/picocli/", "an optional part (the CLI)");
        List<String> problems = new ArrayList<>();
        for (Path p : entries) {
            String rel = p.startsWith(localRepository) ? localRepository.relativize(p).toString().replace('\\', '/')
                    : p.toString();
            banned.forEach((prefix, what) -> {
                if (rel.startsWith(prefix)) {
                    problems.add(rel + " is " + what + " on the compile class path");
                }
            });
        }
        return problems;
    }

    /** Classes found in more than one jar of {@code jars}: class name to the jars (module-info and versions/ aside). */
    static Map<String, List<String>> duplicateClasses(List<Path> jars) throws IOException {
        Map<String, List<String>> where = new TreeMap<>();
        for (Path jar : jars) {
            if (!Files.isRegularFile(jar)) {
                continue; // a directory on the class path (target/classes) holds the project's own classes
            }
            try (JarFile j = new JarFile(jar.toFile())) {
                for (Enumeration<? extends ZipEntry> en = j.entries(); en.hasMoreElements();) {
                    String name = en.nextElement().getName();
                    if (name.endsWith(".class") && !name.endsWith("module-info.class")
                            && !name.startsWith("META-INF/")) {
                        where.computeIfAbsent(name, k -> new ArrayList<>()).add(jar.getFileName().toString());
                    }
                }
            }
        }
        where.values().removeIf(l -> l.size() < 2);
        return where;
    }

    private static Element child(Element parent, String name) {
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && e.getTagName().equals(name)) {
                return e;
            }
        }
        return null;
    }

    private static List<Element> children(Element parent, String name) {
        List<Element> out = new ArrayList<>();
        NodeList all = parent.getChildNodes();
        for (int i = 0; i < all.getLength(); i++) {
            if (all.item(i) instanceof Element e && e.getTagName().equals(name)) {
                out.add(e);
            }
        }
        return out;
    }

    private static String text(Element parent, String name) {
        Element e = child(parent, name);
        return e == null ? "" : e.getTextContent().trim();
    }
}
