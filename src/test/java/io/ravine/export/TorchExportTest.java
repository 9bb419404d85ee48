package io.ravine.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.ravine.backend.Activation;
import io.ravine.backend.LossKind;
import io.ravine.data.Dataset;
import io.ravine.data.Normalizer;
import io.ravine.io.SafeTensors;
import io.ravine.io.StrictJson;
import io.ravine.nn.Mlp;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The torch state dict: key mapping, folded first layer, untouched others, metadata, snippet; and ExportSpec.of. */
class TorchExportTest {

    private static ExportSpec spec(int[] widths, Activation act, LossKind loss, boolean normalized) {
        Mlp mlp = new Mlp(widths[0], java.util.Arrays.copyOfRange(widths, 1, widths.length - 1),
                widths[widths.length - 1], act, loss);
        float[] theta = new float[mlp.parameterCount()];
        for (int i = 0; i < theta.length; i++) {
            theta[i] = (float) Math.cos(3.0 * i);
        }
        float[] mean = null;
        float[] std = null;
        if (normalized) {
            mean = new float[widths[0]];
            std = new float[widths[0]];
            for (int j = 0; j < widths[0]; j++) {
                mean[j] = 0.25f * j;
                std[j] = 2f + j;
            }
        }
        return new ExportSpec(widths, act, loss, theta, mean, std);
    }

    @Test
    void layerKIsModuleTwoKBecauseActivationsHaveNoParameters() {
        assertEquals("0.weight", TorchExport.key(0, "weight"));
        assertEquals("0.bias", TorchExport.key(0, "bias"));
        assertEquals("2.weight", TorchExport.key(1, "weight"));
        assertEquals("4.bias", TorchExport.key(2, "bias"));
        ExportSpec spec = spec(new int[] {6, 5, 4, 3}, Activation.RELU, LossKind.SOFTMAX_CE, true);
        List<String> names = new ArrayList<>();
        List<List<Long>> shapes = new ArrayList<>();
        for (SafeTensors.Entry e : TorchExport.tensors(spec)) {
            names.add(e.name());
            shapes.add(java.util.Arrays.stream(e.shape()).boxed().toList());
        }
        assertEquals(List.of("0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"), names);
        assertEquals(List.of(List.of(5L, 6L), List.of(5L), List.of(4L, 5L), List.of(4L), List.of(3L, 4L),
                List.of(3L)), shapes, "nn.Linear's [out, in] and [out]");
    }

    @Test
    void onlyTheFirstLayerIsFoldedAndTheOthersAreRavinesBits() {
        ExportSpec spec = spec(new int[] {6, 5, 4, 3}, Activation.TANH, LossKind.MSE, true);
        List<SafeTensors.Entry> t = TorchExport.tensors(spec);
        Folding.Layer folded = Folding.fold(spec.weight(0), spec.bias(0), 5, 6, spec.mean(), spec.std());
        assertArrayEquals(folded.weight(), t.get(0).floats());
        assertArrayEquals(folded.bias(), t.get(1).floats());
        assertTrue(!java.util.Arrays.equals(spec.weight(0), t.get(0).floats()), "layer 0 is folded");
        assertArrayEquals(spec.weight(1), t.get(2).floats());
        assertArrayEquals(spec.bias(1), t.get(3).floats());
        assertArrayEquals(spec.weight(2), t.get(4).floats());
        assertArrayEquals(spec.bias(2), t.get(5).floats());
        // Without normalization nothing is folded.
        ExportSpec plain = spec(new int[] {6, 5, 3}, Activation.TANH, LossKind.MSE, false);
        assertArrayEquals(plain.weight(0), TorchExport.tensors(plain).get(0).floats());
        assertArrayEquals(plain.bias(0), TorchExport.tensors(plain).get(1).floats());
    }

    @Test
    void theMetadataNamesTheSequentialInStrictJson() {
        ExportSpec spec = spec(new int[] {6, 5, 4, 3}, Activation.LOGISTIC, LossKind.LOGISTIC_CE, true);
        SafeTensors.Contents c = SafeTensors.read("export", TorchExport.toBytes(spec));
        assertTrue(c.checksummed(), "Ravine's CRC32C entry is there (PyTorch's loader ignores it)");
        assertEquals(TorchExport.FORMAT, c.metadata().get("format"));
        assertEquals("6-5-4-3 logistic logistic-ce", c.metadata().get("architecture"));
        JsonObject json = StrictJson.parseStrict(c.metadata().get(TorchExport.SEQUENTIAL_KEY)).getAsJsonObject();
        JsonArray modules = json.getAsJsonArray("modules");
        List<String> types = new ArrayList<>();
        modules.forEach(m -> types.add(m.getAsJsonObject().get("type").getAsString()));
        assertEquals(List.of("Linear", "Sigmoid", "Linear", "Sigmoid", "Linear"), types);
        JsonObject first = modules.get(0).getAsJsonObject().getAsJsonObject("args");
        assertEquals(6, first.get("in_features").getAsInt());
        assertEquals(5, first.get("out_features").getAsInt());
        assertEquals(0, modules.get(1).getAsJsonObject().getAsJsonObject("args").size());
        assertEquals("sigmoid", json.get("output").getAsString());
        assertEquals(List.of("Identity", "Sigmoid", "Tanh", "ReLU"), List.of(TorchExport.module(Activation.IDENTITY),
                TorchExport.module(Activation.LOGISTIC), TorchExport.module(Activation.TANH),
                TorchExport.module(Activation.RELU)));
        assertEquals(List.of("softmax", "sigmoid", "none"), List.of(TorchExport.output(LossKind.SOFTMAX_CE),
                TorchExport.output(LossKind.LOGISTIC_CE), TorchExport.output(LossKind.MSE)));
    }

    @Test
    void theSnippetBuildsTheSameSequentialAndQuotesThePath() {
        ExportSpec spec = spec(new int[] {6, 5, 3}, Activation.RELU, LossKind.SOFTMAX_CE, true);
        String py = TorchExport.pythonSnippet(spec, "out/m\"o\\del.safetensors");
        assertTrue(py.contains("model = torch.nn.Sequential(\n    torch.nn.Linear(6, 5),\n    torch.nn.ReLU(),\n"
                + "    torch.nn.Linear(5, 3),\n)\n"), py);
        assertTrue(py.contains("load_file(\"out/m\\\"o\\\\del.safetensors\"), strict=True)"), py);
        assertTrue(py.contains("torch.softmax(logits, dim=1)"), py);
        assertTrue(TorchExport.pythonSnippet(spec(new int[] {2, 1}, Activation.RELU, LossKind.MSE, false), "f")
                .contains("torch.nn.Sequential(\n    torch.nn.Linear(2, 1),\n)"));
        assertEquals("\"a\\nb\\x01\"", TorchExport.pythonString("a\nb\u0001"));
    }

    @Test
    void specOfAModelInMemoryTakesTheDivisorsRavineApplies() {
        // Feature 1 is constant: its std is 0 and Ravine only centres it (divisor 1, Normalizer.MIN_STD).
        Dataset d = new Dataset("d", 3, 2, new float[] {1, 5, 2, 5, 6, 5}, 1, new float[] {0, 1, 0}, 2);
        Normalizer z = Normalizer.zscore(d);
        Mlp mlp = new Mlp(2, new int[] {3}, 2, Activation.RELU, LossKind.SOFTMAX_CE);
        ExportSpec spec = ExportSpec.of(mlp, new float[mlp.parameterCount()], z);
        assertArrayEquals(z.mean(), spec.mean());
        assertArrayEquals(z.scale(), spec.std());
        assertEquals(1f, spec.std()[1]);
        ExportSpec none = ExportSpec.of(mlp, new float[mlp.parameterCount()], Normalizer.none(2));
        assertNull(none.mean());
        assertEquals(List.of(2, 3, 2), java.util.Arrays.stream(spec.widths()).boxed().toList());
        assertEquals("2-3-2 relu softmax-ce", spec.describe());
    }

    @Test
    void aSpecRefusesWhatCannotBeAModel() {
        float[] theta = new float[2 * 3 + 3];
        assertThrows(IllegalArgumentException.class, () -> new ExportSpec(new int[] {2, 3}, Activation.RELU,
                LossKind.MSE, new float[5], null, null), "θ of the wrong length");
        theta[4] = Float.NaN;
        assertThrows(IllegalArgumentException.class, () -> new ExportSpec(new int[] {2, 3}, Activation.RELU,
                LossKind.MSE, theta, null, null), "NaN in θ");
        assertThrows(IllegalArgumentException.class, () -> new ExportSpec(new int[] {2, 3}, Activation.RELU,
                LossKind.MSE, new float[9], new float[2], null), "mean without std");
        assertThrows(IllegalArgumentException.class, () -> new ExportSpec(new int[] {2, 3}, Activation.RELU,
                LossKind.MSE, new float[9], new float[2], new float[] {1f, 0f}), "a zero divisor");
    }
}
