pragma circom 2.1.0;

// The sealed repo-trade contract's statement, for a grid of K points:
//
//   there are openings (schedule, hurdle, salt) of both published commitments, on the volume
//   grid whose hash is published, with valid strictly monotone schedules, such that the published
//   outcome is the contract's selection: the feasible point with the largest joint profit,
//   ties to the larger volume, or no trade when no point is feasible.
//
// Feasible: Q_i > 0, s_i = r_rm,i - r_mm,i > 0 and s_i / 2 >= h for both hurdles, i.e.
// s_i >= max(2 h_mm, 2 h_rm, 1). Joint profit J_i = s_i * Q_i.
// Values are below 2^31 (range-checked), so every comparison below is exact.
//
// Commitment = Chain(Pack(rates) || hurdle || salt), grid hash = Chain(Pack(volumes)), with
// Pack putting 8 values of 31 bits in one field element and Chain absorbing 15 elements per
// Poseidon(16) call after the element count; marketcraft.repo.commitment computes the same.

include "poseidon16.circom";

// `in` as n bits (constrains in < 2^n)
template Bits(n) {
    signal input in;
    signal output out[n];
    var sum = 0;
    var e = 1;
    for (var i = 0; i < n; i++) {
        out[i] <-- (in >> i) & 1;
        out[i] * (out[i] - 1) === 0;
        sum += out[i] * e;
        e = e + e;
    }
    sum === in;
}

// 1 when a < b, for a, b below 2^n
template Less(n) {
    signal input a;
    signal input b;
    signal output out;
    component bits = Bits(n + 1);
    bits.in <== a + (1 << n) - b;
    out <== 1 - bits.out[n];
}

// in[0] and in[K-1] below 2^31, and each step in[i] - in[i-1] - gap in 0..2^31-1: so the
// sequence rises (by at least `gap`) and every value lies in 0..2^31-1 with no wrap-around
template Rising(K, gap) {
    signal input in[K];
    component first = Bits(31);
    first.in <== in[0];
    component last = Bits(31);
    last.in <== in[K - 1];
    component step[K - 1];
    for (var i = 1; i < K; i++) {
        step[i - 1] = Bits(31);
        step[i - 1].in <== in[i] - in[i - 1] - gap;
    }
}

template IsZero() {
    signal input in;
    signal output out;
    signal inv;
    inv <-- in != 0 ? 1 / in : 0;
    out <== 1 - in * inv;
    in * out === 0;
}

// 8 values of 31 bits per field element, the first value in the lowest bits
template Pack(n) {
    signal input in[n];
    var m = (n + 7) \ 8;
    signal output out[m];
    for (var e = 0; e < m; e++) {
        var acc = 0;
        for (var j = 0; j < 8; j++) {
            if (e * 8 + j < n) {
                acc += in[e * 8 + j] * (1 << (31 * j));
            }
        }
        out[e] <== acc;
    }
}

// the element count, then 15 elements (zero-padded) per Poseidon(16) call
template Chain(n) {
    signal input in[n];
    signal output out;
    var blocks = (n + 14) \ 15;
    component h[blocks];
    for (var b = 0; b < blocks; b++) {
        h[b] = Poseidon16();
        if (b == 0) {
            h[b].inputs[0] <== n;
        } else {
            h[b].inputs[0] <== h[b - 1].out;
        }
        for (var j = 0; j < 15; j++) {
            if (b * 15 + j < n) {
                h[b].inputs[j + 1] <== in[b * 15 + j];
            } else {
                h[b].inputs[j + 1] <== 0;
            }
        }
    }
    out <== h[blocks - 1].out;
}

template Commitment(K) {
    signal input rates[K];
    signal input hurdle;
    signal input salt;
    signal output out;
    var m = (K + 7) \ 8;
    component pack = Pack(K);
    pack.in <== rates;
    component chain = Chain(m + 2);
    for (var e = 0; e < m; e++) {
        chain.in[e] <== pack.out[e];
    }
    chain.in[m] <== hurdle;
    chain.in[m + 1] <== salt;
    out <== chain.out;
}

template RepoSettle(K) {
    // public
    signal input commit_mm;
    signal input commit_rm;
    signal input grid;
    signal input trade;
    signal input volume;
    signal input rate_mm;
    signal input rate_rm;
    // private: the openings and the selected point (one-hot, all zero for no trade)
    signal input volumes[K];
    signal input r_mm[K];
    signal input r_rm[K];
    signal input hurdle_mm;
    signal input hurdle_rm;
    signal input salt_mm;
    signal input salt_rm;
    signal input pick[K];

    // --- openings
    component cm = Commitment(K);
    cm.rates <== r_mm;
    cm.hurdle <== hurdle_mm;
    cm.salt <== salt_mm;
    cm.out === commit_mm;
    component cr = Commitment(K);
    cr.rates <== r_rm;
    cr.hurdle <== hurdle_rm;
    cr.salt <== salt_rm;
    cr.out === commit_rm;
    var m = (K + 7) \ 8;
    component packed_grid = Pack(K);
    packed_grid.in <== volumes;
    component grid_hash = Chain(m);
    grid_hash.in <== packed_grid.out;
    grid_hash.out === grid;

    // --- ranges and shapes: values below 2^31, Q_0 = 0, Q strictly increasing,
    // r_mm strictly increasing, r_rm strictly decreasing (no flat stretch: every point matched)
    volumes[0] === 0;
    component grid_shape = Rising(K, 1);
    grid_shape.in <== volumes;
    component mm_shape = Rising(K, 1);
    mm_shape.in <== r_mm;
    component rm_shape = Rising(K, 1);
    for (var i = 0; i < K; i++) {
        rm_shape.in[i] <== r_rm[K - 1 - i];
    }
    component hurdle_range[2];
    hurdle_range[0] = Bits(31);
    hurdle_range[0].in <== hurdle_mm;
    hurdle_range[1] = Bits(31);
    hurdle_range[1].in <== hurdle_rm;

    // --- the least spread both hurdles accept: max(2 h_mm, 2 h_rm, 1)
    component order = Less(31);
    order.a <== hurdle_mm;
    order.b <== hurdle_rm;
    signal hmax <== order.out * (hurdle_rm - hurdle_mm) + hurdle_mm;
    component none = IsZero();
    none.in <== hmax;
    signal least <== 2 * hmax + none.out;

    // --- feasibility and joint profit per point (point 0 has Q = 0: never feasible)
    signal feasible[K];
    signal profit[K];
    signal jf[K];
    component enough[K - 1];
    feasible[0] <== 0;
    profit[0] <== 0;
    jf[0] <== 0;
    for (var i = 1; i < K; i++) {
        enough[i - 1] = Less(33);  // r_rm < r_mm + least  <=>  not feasible
        enough[i - 1].a <== r_rm[i];
        enough[i - 1].b <== r_mm[i] + least;
        feasible[i] <== 1 - enough[i - 1].out;
        profit[i] <== (r_rm[i] - r_mm[i]) * volumes[i];
        jf[i] <== feasible[i] * profit[i];  // 0 when infeasible, else in 1..2^62
    }

    // --- the selection: pick is one-hot on a feasible point iff trade, the outcome is the
    // picked point, no point beats it, and no later (larger-volume) point ties it
    trade * (trade - 1) === 0;
    signal picked_feasible[K];
    signal picked_j[K];
    signal picked_q[K];
    signal picked_mm[K];
    signal picked_rm[K];
    component best[K];
    var count = 0;
    var good = 0;
    var jstar_sum = 0;
    var q_sum = 0;
    var mm_sum = 0;
    var rm_sum = 0;
    for (var i = 0; i < K; i++) {
        pick[i] * (pick[i] - 1) === 0;
        picked_feasible[i] <== pick[i] * feasible[i];
        picked_j[i] <== pick[i] * jf[i];
        picked_q[i] <== pick[i] * volumes[i];
        picked_mm[i] <== pick[i] * r_mm[i];
        picked_rm[i] <== pick[i] * r_rm[i];
        count += pick[i];
        good += picked_feasible[i];
        jstar_sum += picked_j[i];
        q_sum += picked_q[i];
        mm_sum += picked_mm[i];
        rm_sum += picked_rm[i];
    }
    count === trade;
    good === trade;
    signal jstar <== jstar_sum;
    volume === q_sum;
    rate_mm === mm_sum;
    rate_rm === rm_sum;
    var after = 0;  // 1 past the picked point
    for (var i = 0; i < K; i++) {
        best[i] = Less(63);  // jf_i + after <= jstar  <=>  not (jstar < jf_i + after)
        best[i].a <== jstar;
        best[i].b <== jf[i] + after;
        best[i].out === 0;
        after += pick[i];
    }
}
