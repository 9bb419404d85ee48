package io.ravine.diagnose;

import io.ravine.backend.Tensor;
import io.ravine.data.Dataset;
import io.ravine.nn.Model;
import io.ravine.train.HessianProducts;

/** {@link HessianProducts} by {@link HessianVectorProduct}, registered in META-INF/services. */
public final class HessianProductsService implements HessianProducts {

    @Override
    public Operator open(Model model, Dataset subset, int capacity) {
        HessianVectorProduct hvp = new HessianVectorProduct(model, subset, capacity);
        return new Operator() {
            @Override
            public void apply(Tensor v, Tensor out) {
                hvp.apply(v, out);
            }

            @Override
            public void close() {
                hvp.close();
            }
        };
    }
}
