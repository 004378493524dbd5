import { runServiceMain } from '@chat4all/common';
import { instagramSimulatorService } from './server';

runServiceMain(instagramSimulatorService());
