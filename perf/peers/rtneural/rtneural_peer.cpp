// RTNeural's compile-time models (ModelT: LSTMLayerT or GRULayerT, then DenseT) behind a C interface, for the
// side-by-side W1 rows of perf/FastSeq.Benchmarks (RtNeuralBenchmarks.cs). Built by perf/peers/build-rtneural.sh.
//
// The weights come in FastSeq's layout (a layer's Parameters, then the Dense's [H, 1] kernel and bias) and go in
// through RTNeural's own setters. A whole stream runs in one call, its loop here in C++, so the peer pays no
// interop per step.
#include <RTNeural/RTNeural.h>

#include <memory>
#include <vector>

namespace
{
using Rows = std::vector<std::vector<float>>;

// rows x columns, row-major, starting at values.
Rows ToRows(const float* values, int rows, int columns)
{
    Rows result(rows, std::vector<float>(columns));
    for (int r = 0; r < rows; ++r)
        for (int c = 0; c < columns; ++c)
            result[r][c] = values[r * columns + c];
    return result;
}

// FastSeq's GRU gates are r, z, n; RTNeural's are z, r, c (Keras): swap the first two blocks of each row.
Rows ZrnFromRzn(Rows rows, int units)
{
    for (auto& row : rows)
        for (int k = 0; k < units; ++k)
            std::swap(row[k], row[units + k]);
    return rows;
}

struct Stream
{
    virtual ~Stream() = default;
    virtual void Reset() = 0;
    // Steps through samples[0, count), writes every output to outputs (unless null) and returns their sum.
    virtual float Run(const float* samples, int count, float* outputs) = 0;
};

template <typename Model>
struct StreamOf final : Stream
{
    Model model;

    void Reset() override { model.reset(); }

    float Run(const float* samples, int count, float* outputs) override
    {
        float sum = 0;
        for (int t = 0; t < count; ++t)
        {
            float y = model.forward(samples + t);
            if (outputs != nullptr)
                outputs[t] = y;
            sum += y;
        }
        return sum;
    }
};

template <int H>
void SetDense(RTNeural::DenseT<float, H, 1>& dense, const float* kernel)
{
    // FastSeq's kernel is [H, 1], RTNeural's [1, H]: the same floats.
    dense.setWeights(ToRows(kernel, 1, H));
    dense.setBias(kernel + H);
}

template <int H>
Stream* CreateLstm(const float* layer, const float* dense)
{
    using Model = RTNeural::ModelT<float, 1, 1, RTNeural::LSTMLayerT<float, 1, H>, RTNeural::DenseT<float, H, 1>>;
    auto stream = std::make_unique<StreamOf<Model>>();
    // FastSeq: Wk [1, 4H], Wh [H, 4H], b [4H], gates i, f, g, o, as RTNeural's setters take them.
    auto& lstm = stream->model.template get<0>();
    lstm.setWVals(ToRows(layer, 1, 4 * H));
    lstm.setUVals(ToRows(layer + 4 * H, H, 4 * H));
    lstm.setBVals(ToRows(layer + 4 * H * (1 + H), 1, 4 * H)[0]);
    SetDense<H>(stream->model.template get<1>(), dense);
    stream->model.reset();
    return stream.release();
}

template <int H>
Stream* CreateGru(const float* layer, const float* dense)
{
    using Model = RTNeural::ModelT<float, 1, 1, RTNeural::GRULayerT<float, 1, H>, RTNeural::DenseT<float, H, 1>>;
    auto stream = std::make_unique<StreamOf<Model>>();
    // FastSeq: Wk [1, 3H], Wh [H, 3H], then b_i and b_h [2, 3H] (reset_after), gates r, z, n.
    auto& gru = stream->model.template get<0>();
    gru.setWVals(ZrnFromRzn(ToRows(layer, 1, 3 * H), H));
    gru.setUVals(ZrnFromRzn(ToRows(layer + 3 * H, H, 3 * H), H));
    gru.setBVals(ZrnFromRzn(ToRows(layer + 3 * H * (1 + H), 2, 3 * H), H));
    SetDense<H>(stream->model.template get<1>(), dense);
    stream->model.reset();
    return stream.release();
}

template <int H>
Stream* Create(int kind, const float* layer, const float* dense)
{
    return kind == 0 ? CreateLstm<H>(layer, dense) : CreateGru<H>(layer, dense);
}
} // namespace

extern "C"
{
// kind 0 = LSTM, 1 = GRU; units 8, 16, 32, 40, 64 or 128 (null otherwise). layer: the recurrent layer's
// parameters in FastSeq's layout; dense: the Dense(1)'s kernel [H, 1] then bias [1].
void* rtneural_create(int kind, int units, const float* layer, const float* dense)
{
    if (kind != 0 && kind != 1)
        return nullptr;
    switch (units)
    {
    case 8: return Create<8>(kind, layer, dense);
    case 16: return Create<16>(kind, layer, dense);
    case 32: return Create<32>(kind, layer, dense);
    case 40: return Create<40>(kind, layer, dense);
    case 64: return Create<64>(kind, layer, dense);
    case 128: return Create<128>(kind, layer, dense);
    default: return nullptr;
    }
}

void rtneural_reset(void* stream) { static_cast<Stream*>(stream)->Reset(); }

float rtneural_run(void* stream, const float* samples, int count, float* outputs)
{
    return static_cast<Stream*>(stream)->Run(samples, count, outputs);
}

void rtneural_destroy(void* stream) { delete static_cast<Stream*>(stream); }
}
