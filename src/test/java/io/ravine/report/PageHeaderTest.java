package io.ravine.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** invocations.json and the header it gives a sweep's or study's page. */
class PageHeaderTest {

    @Test
    void eachStartIsKeptAndTheHeaderNamesTheFirstCommandAndEveryResume(@TempDir Path dir) throws Exception {
        PageHeader.Invocation first = new PageHeader.Invocation(List.of("ravine", "sweep", "lr", "--note", "<a b>"),
                "2026-12-01T10:00:00Z", "0.1.0", "cpu (2 cores)");
        PageHeader.append(dir, first);
        List<PageHeader.Invocation> all = PageHeader.append(dir, PageHeader.now(null, "cuda <x>"));
        assertEquals(2, all.size());
        assertEquals(all, PageHeader.read(dir));
        assertEquals(first, all.get(0));

        HtmlPage page = new HtmlPage("t");
        PageHeader.write(page, all);
        String html = page.render();
        assertTrue(html.contains("<code>ravine sweep lr --note &#39;&lt;a b&gt;&#39;</code>"), html);
        assertTrue(html.contains("<span class=\"label\">resumed " + all.get(1).started() + ":</span> library"),
                html);
        assertTrue(html.contains("<span class=\"label\">started:</span> 2026-12-01T10:00:00Z"), html);
        assertTrue(html.contains("<span class=\"label\">device:</span> cuda &lt;x&gt;"), "the latest start's");
        assertFalse(Files.readString(dir.resolve(PageHeader.FILE)).contains("NaN"));
    }

    @Test
    void anUnreadableRecordStartsAgainAndNoRecordSaysUnknown(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve(PageHeader.FILE), "{\"invocations\": [");
        assertEquals(List.of(), PageHeader.read(dir));
        assertEquals(1, PageHeader.append(dir, PageHeader.now(List.of("ravine"), "cpu")).size());
        assertEquals(1, PageHeader.read(dir).size());

        HtmlPage page = new HtmlPage("t");
        PageHeader.write(page, List.of());
        String html = page.render();
        for (String label : List.of("command", "started", "Ravine", "device")) {
            assertTrue(html.contains("<span class=\"label\">" + label + ":</span> unknown"), label);
        }
    }
}
