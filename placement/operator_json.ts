// Operators on the wire (heartbeat replies, `ctl operators`): plain JSON. Everything in an
// operator is a number, a string or a plain object except split keys, which travel as base64:
//
//   { type: 'SplitRegion', keys: [Uint8Array [0x6b, 0x31]] }  <->  { type: 'SplitRegion', keys: ['azE='] }

import { assert } from '../src/util/assert.js';
import type { RegionEpoch, RegionId } from '../src/cluster/region.js';
import type { Operator, OperatorKind, OperatorStep } from './operator.js';

type SplitStepJson = { type: 'SplitRegion'; keys: string[] | 'approximate' };
export type OperatorStepJson = Exclude<OperatorStep, { type: 'SplitRegion' }> | SplitStepJson;

export interface OperatorJson {
  regionId: RegionId;
  epoch: RegionEpoch;
  kind: OperatorKind;
  desc: string;
  steps: OperatorStepJson[];
  currentStep: number;
  createdMs: number;
  deadlineMs: number;
}

export function operatorToJson(op: Operator): OperatorJson {
  return {
    regionId: op.regionId,
    epoch: { ...op.epoch },
    kind: op.kind,
    desc: op.desc,
    steps: op.steps.map(stepToJson),
    currentStep: op.currentStep,
    createdMs: op.createdMs,
    deadlineMs: op.deadlineMs,
  };
}

export function stepToJson(s: OperatorStep): OperatorStepJson {
  if (s.type !== 'SplitRegion') return { ...s } as OperatorStepJson;
  return { type: 'SplitRegion', keys: s.keys === 'approximate' ? 'approximate' : s.keys.map((k) => Buffer.from(k).toString('base64')) };
}

export function operatorFromJson(j: OperatorJson): Operator {
  assert(Array.isArray(j.steps) && j.steps.length > 0, 'operator JSON without steps');
  assert(Number.isSafeInteger(j.currentStep) && j.currentStep >= 0 && j.currentStep <= j.steps.length, 'operator JSON with a bad current step');
  return Object.freeze({
    regionId: j.regionId,
    epoch: Object.freeze({ ...j.epoch }),
    kind: j.kind,
    desc: j.desc,
    steps: Object.freeze(j.steps.map((s) => Object.freeze(stepFromJson(s)))),
    currentStep: j.currentStep,
    createdMs: j.createdMs,
    deadlineMs: j.deadlineMs,
  });
}

export function stepFromJson(s: OperatorStepJson): OperatorStep {
  if (s.type !== 'SplitRegion') return { ...s } as OperatorStep;
  return {
    type: 'SplitRegion',
    keys: s.keys === 'approximate' ? 'approximate' : s.keys.map((k) => new Uint8Array(Buffer.from(k, 'base64'))),
  };
}
