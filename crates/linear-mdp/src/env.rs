//! The environments, each a known [`Mdp`] so that optimal values and regret
//! are exact: a gridworld the user paints, RiverSwim, and a random low-rank
//! linear MDP. Each also says where its states sit (for the value map, the
//! RBF features and the policy arrows).

use thermolab_core::rng::CounterRng;
use thermolab_kit::choices;

use crate::mdp::Mdp;
use crate::params::LinearMdpParams;

choices! {
    /// Which MDP the agents face.
    pub enum EnvKind {
        Gridworld = ("gridworld", "Gridworld"),
        RiverSwim = ("river_swim", "RiverSwim"),
        LinearMdp = ("linear_mdp", "Random linear MDP"),
    }
}

/// The counter run the model's random numbers use: the seeds' runs are
/// 0..1024, so the model never shares a number with an episode.
pub const MODEL_RUN: u32 = u32::MAX;
/// Gridworld actions, in order, as (dx, dy).
pub const GRID_MOVES: [(i64, i64); 4] = [(0, 1), (1, 0), (0, -1), (-1, 0)];
/// Actions of the random linear MDP.
pub const LINEAR_ACTIONS: usize = 4;

/// What a painted cell is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cell {
    Free,
    Wall,
    Reward,
    Penalty,
    /// The top-right corner: pays 1, cannot be painted over.
    Goal,
}

/// An MDP with its geometry.
#[derive(Clone, Debug)]
pub struct Environment {
    pub kind: EnvKind,
    pub mdp: Mdp,
    /// The value map's grid: `columns` x `rows` cells, state s at
    /// (s % columns, s / columns), the bottom row first.
    pub columns: usize,
    pub rows: usize,
    /// Each state's place in [0, 1]^2 (the RBF features' coordinates).
    pub coordinates: Vec<[f64; 2]>,
    /// Each action's arrow on the map, or none where actions have no direction.
    pub arrows: Option<Vec<[f64; 2]>>,
    /// The gridworld's cells as painted (empty elsewhere).
    pub cells: Vec<Cell>,
    /// The random linear MDP's own features phi(s, a) (row-major, d each).
    pub features: Option<(usize, Vec<f64>)>,
}

impl Environment {
    pub fn of(params: &LinearMdpParams, rng: CounterRng) -> Result<Self, String> {
        let env = match params.env {
            EnvKind::Gridworld => gridworld(params),
            EnvKind::RiverSwim => river_swim(params.river_states, params.horizon),
            EnvKind::LinearMdp => {
                linear_mdp(params.linear_states, params.linear_dim, params.horizon, rng)
            }
        };
        env.mdp.check()?;
        Ok(env)
    }

    /// The cell a painted point (x, y) in [-1, 1]^2 falls in, on a `size` x `size` grid.
    pub fn cell_at(point: [f64; 2], size: usize) -> usize {
        let index = |v: f64| {
            (((v + 1.0) / 2.0 * size as f64).floor() as i64).clamp(0, size as i64 - 1) as usize
        };
        index(point[1]) * size + index(point[0])
    }
}

/// The gridworld: start bottom-left, a goal paying 1 top-right, painted walls
/// (moving into one stays put), reward cells (+1) and penalty cells (-1); a
/// move slips to a uniformly random direction with probability `slip`. A
/// reward is paid for each step taken in its cell.
fn gridworld(params: &LinearMdpParams) -> Environment {
    let n = params.size;
    let states = n * n;
    let start = 0;
    let mut cells = vec![Cell::Free; states];
    cells[states - 1] = Cell::Goal;
    let mut paint = |points: &[[f64; 2]], cell: Cell| {
        for point in points {
            let s = Environment::cell_at(*point, n);
            if s != start && cells[s] != Cell::Goal {
                cells[s] = cell;
            }
        }
    };
    paint(&params.walls, Cell::Wall);
    paint(&params.rewards, Cell::Reward);
    paint(&params.penalties, Cell::Penalty);
    let actions = GRID_MOVES.len();
    let mut reward = vec![0.0; states * actions];
    let mut next = Vec::with_capacity(states * actions);
    for s in 0..states {
        let (x, y) = ((s % n) as i64, (s / n) as i64);
        let cell_reward = match cells[s] {
            Cell::Goal | Cell::Reward => 1.0,
            Cell::Penalty => -1.0,
            Cell::Free | Cell::Wall => 0.0,
        };
        let moved = |(dx, dy): (i64, i64)| {
            let (tx, ty) = (x + dx, y + dy);
            let inside = (0..n as i64).contains(&tx) && (0..n as i64).contains(&ty);
            let t = (ty * n as i64 + tx) as usize;
            if inside && cells[t] != Cell::Wall {
                t
            } else {
                s
            }
        };
        for (a, intended) in GRID_MOVES.iter().enumerate() {
            reward[s * actions + a] = if cells[s] == Cell::Wall {
                0.0
            } else {
                cell_reward
            };
            let mut law: Vec<(usize, f64)> = Vec::new();
            let mut add = |t: usize, p: f64| match law.iter_mut().find(|(u, _)| *u == t) {
                Some(entry) => entry.1 += p,
                None => law.push((t, p)),
            };
            if cells[s] == Cell::Wall {
                add(s, 1.0);
            } else {
                add(moved(*intended), 1.0 - params.slip);
                for direction in GRID_MOVES {
                    add(moved(direction), params.slip / actions as f64);
                }
            }
            law.retain(|(_, p)| *p > 0.0);
            next.push(law);
        }
    }
    let span = (n - 1).max(1) as f64;
    Environment {
        kind: EnvKind::Gridworld,
        mdp: Mdp {
            states,
            actions,
            horizon: params.horizon,
            start,
            reward,
            next,
        },
        columns: n,
        rows: n,
        coordinates: (0..states)
            .map(|s| [(s % n) as f64 / span, (s / n) as f64 / span])
            .collect(),
        arrows: Some(
            GRID_MOVES
                .iter()
                .map(|&(dx, dy)| [dx as f64, dy as f64])
                .collect(),
        ),
        cells,
        features: None,
    }
}

/// RiverSwim (Strehl & Littman 2008, "An analysis of model-based Interval
/// Estimation for Markov Decision Processes", Fig. 1; the rewards and
/// probabilities of Osband, Russo & Van Roy 2013, "(More) Efficient
/// Reinforcement Learning via Posterior Sampling", §6): swimming left always
/// works and pays 0.005 at the left bank; swimming right, against the
/// current, moves on with probability 0.35 (0.4 from the bank) and pays 1
/// only at the far right. Dithering exploration stays at the left bank.
fn river_swim(n: usize, horizon: usize) -> Environment {
    let actions = 2;
    let mut reward = vec![0.0; n * actions];
    reward[0] = 0.005;
    reward[(n - 1) * actions + 1] = 1.0;
    let mut next = Vec::with_capacity(n * actions);
    for s in 0..n {
        next.push(vec![(s.saturating_sub(1), 1.0)]);
        next.push(if s == 0 {
            vec![(0, 0.6), (1, 0.4)]
        } else if s == n - 1 {
            vec![(s, 0.6), (s - 1, 0.4)]
        } else {
            vec![(s - 1, 0.05), (s, 0.6), (s + 1, 0.35)]
        });
    }
    strip(
        EnvKind::RiverSwim,
        Mdp {
            states: n,
            actions,
            horizon,
            start: 0,
            reward,
            next,
        },
    )
    .with_arrows(vec![[-1.0, 0.0], [1.0, 0.0]])
}

/// A random low-rank linear MDP (Jin, Yang, Wang & Jordan 2020, Assumption
/// A): phi(s, a) on the simplex of R^d, d next-state laws mu_i and rewards
/// theta in [0, 1]^d, so P(s' | s, a) = phi(s, a)^T mu(s') and
/// r(s, a) = phi(s, a)^T theta hold exactly.
fn linear_mdp(states: usize, d: usize, horizon: usize, rng: CounterRng) -> Environment {
    let actions = LINEAR_ACTIONS;
    let uniform = |step: usize, stream: u32| f64::from(rng.uniform(MODEL_RUN, step as u32, stream));
    // Powers of uniforms make the weights peaked, so actions differ.
    let simplex = |values: Vec<f64>| {
        let total: f64 = values.iter().sum();
        values.into_iter().map(|v| v / total).collect::<Vec<f64>>()
    };
    let phi: Vec<f64> = (0..states * actions)
        .flat_map(|pair| {
            simplex(
                (0..d)
                    .map(|i| uniform(pair * d + i, 1).powi(4) + 1e-3)
                    .collect(),
            )
        })
        .collect();
    let mu: Vec<Vec<f64>> = (0..d)
        .map(|i| {
            simplex(
                (0..states)
                    .map(|s| uniform(i * states + s, 2).powi(8) + 1e-4)
                    .collect(),
            )
        })
        .collect();
    let theta: Vec<f64> = (0..d).map(|i| uniform(i, 3).powi(2)).collect();
    let reward = phi
        .chunks_exact(d)
        .map(|f| f.iter().zip(&theta).map(|(f, t)| f * t).sum())
        .collect();
    let next = phi
        .chunks_exact(d)
        .map(|f| {
            (0..states)
                .map(|t| (t, f.iter().zip(&mu).map(|(f, m)| f * m[t]).sum::<f64>()))
                .filter(|(_, p)| *p > 0.0)
                .collect()
        })
        .collect();
    let mut env = strip(
        EnvKind::LinearMdp,
        Mdp {
            states,
            actions,
            horizon,
            start: 0,
            reward,
            next,
        },
    );
    env.features = Some((d, phi));
    env
}

/// States in a row, left to right.
fn strip(kind: EnvKind, mdp: Mdp) -> Environment {
    let n = mdp.states;
    let span = (n - 1).max(1) as f64;
    Environment {
        kind,
        columns: n,
        rows: 1,
        coordinates: (0..n).map(|s| [s as f64 / span, 0.0]).collect(),
        arrows: None,
        cells: Vec::new(),
        features: None,
        mdp,
    }
}

impl Environment {
    fn with_arrows(self, arrows: Vec<[f64; 2]>) -> Self {
        Self {
            arrows: Some(arrows),
            ..self
        }
    }
}
